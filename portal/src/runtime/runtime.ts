import type { ReplInfo } from '@codeyard/common/agent/config';
import type { ExecRequest, ExecResult, Target } from '@codeyard/common/agent/protocol';
import type { ReplId } from '@codeyard/common/repl-id';
import type { IdeStaticRoot } from '@codeyard/proxy/ide-static';
import type { IdePageSource } from '@codeyard/proxy/ide-page';
import type { StackManifest } from '../templates/manifest.js';
import type { RuntimeUsage } from './usage.js';

export type RuntimeState = 'stopped' | 'starting' | 'running' | 'stopping' | 'error';

export interface RuntimeStatus {
  state: RuntimeState;
  /** While starting or stopping: what is happening now, for progress displays. */
  step?: string;
  /** When state is `error`: what went wrong and what to do. */
  error?: string;
  /** Files are kept on this machine that the store does not have yet (a save failed). */
  unsaved?: boolean;
  /** When the state last changed (ISO 8601). */
  since: string;
}

/**
 * A sandbox's own id, made by the runtime: a warm sandbox is started before any repl exists,
 * so it cannot be known by a repl id.
 */
export type SandboxId = string;

/** A pre-started sandbox taken from a warm pool, not bound to a repl yet. */
export interface SandboxHandle {
  readonly sandboxId: SandboxId;
  /** The stack it was started for. */
  readonly stack: string;
}

/** What a runtime needs to know to run one repl. */
export interface ReplSpec {
  id: string;
  manifest: StackManifest;
  /** Store prefix of the repl's workspace (`workspaces/<id>/`). */
  workspacePrefix: string;
  /** What the IDE shows about the repl (the Codeyard extension reads it from its environment). */
  info?: ReplInfo;
  /** The account it belongs to (a pod carries it as a label). */
  owner?: string;
  /**
   * Its own memory limit (a class's per-student limit, ReplRecord.memoryMb): the runtime gives it
   * the lower of this and its own (the server's, or the stack's). None: the runtime's.
   */
  memoryLimitBytes?: number;
}

export interface Endpoints {
  /** code-server's HTTP endpoint. */
  ide: Target;
  /** The repl agent's control API. */
  agent: Target;
  /** A port inside the repl. */
  port(port: number): Target;
  /**
   * The versioned static files of the code-server install the repl runs, when the portal
   * provisioned it and so may serve them itself (the proxy's ide-static.ts).
   */
  ideStatic?: IdeStaticRoot;
  /** Where the proxy may make VS Code's page for the repl from (the proxy's ide-page.ts): with ideStatic. */
  idePage?: IdePageSource;
}

export interface StackAvailability {
  available: boolean;
  /** Why not, and what to do about it. */
  reason?: string;
  version?: string;
}

export interface LimitReport {
  enforced: boolean;
  value?: number;
  /** How it is enforced, when it is. */
  mechanism?: string;
  /** Why not, when it is not. */
  reason?: string;
}

/** What a runtime really enforces on this host (GET /api/runtime). */
export interface RuntimeDescription {
  driver: string;
  sandbox: string;
  network: string;
  uidPerRepl: boolean;
  limits: Record<'processes' | 'openFiles' | 'memory' | 'cpu' | 'disk', LimitReport>;
}

/**
 * Runs repls. One interface, several drivers: `process` (local sandboxed processes, the
 * default), `kubernetes` (a pod per repl), and test doubles. The portal keeps no memory of
 * what runs: it asks the runtime.
 */
export interface Runtime {
  readonly name: string;
  /**
   * Who decides whether one more repl fits: this portal, for the machine its repls run on (the
   * default: capacity-gate.ts), or the cluster's scheduler (pods that fit no node wait Pending).
   */
  readonly admission?: 'machine' | 'scheduler';
  /** Isolation and limits as really enforced here. */
  describe(): RuntimeDescription;
  /** Can this runtime run the stack here (is its toolchain there)? */
  checkStack(manifest: StackManifest): Promise<StackAvailability>;
  /**
   * Takes a pre-started sandbox of the stack from the warm pool, if the driver keeps one and one
   * is ready. It belongs to no repl: the repl service binds it to the stopped repl it is about to
   * start with adoptWarm() (repls/warm-start.ts decides which starts may take one), or gives it
   * back with releaseWarm(). Optional.
   */
  takeWarm?(stack: string): SandboxHandle | undefined;
  /**
   * Binds a taken warm sandbox to repl `id`, whose next start then claims it and is only the
   * restore of its files. False when it cannot be (it expired, or the repl holds one already).
   * A sandbox that waits too long is ended, and the start is a cold one.
   */
  adoptWarm?(handle: SandboxHandle, id: ReplId): boolean;
  /**
   * Would a warm sandbox give this repl's start exactly what a cold start gives? Not when the
   * driver keeps something of the repl between runs that a warm sandbox does not have (the
   * process runtime keeps a repl's home, VS Code's state and the agent's state on its private
   * volume): only the driver knows. Optional (no pool: no warm start).
   */
  warmFits?(spec: ReplSpec): boolean;
  /** Gives up a taken warm sandbox whose repl was not made after all. */
  releaseWarm?(handle: SandboxHandle): Promise<void>;
  /**
   * Ends one ready warm sandbox to make room for a repl (warm sandboxes are the first to go);
   * false when there is none. Optional.
   */
  shedWarm?(): Promise<boolean>;
  /** The warm pool starts a sandbox only while `allowed()` says there is room for one. Optional. */
  gateWarm?(allowed: () => boolean): void;
  /**
   * What every running repl and warm sandbox uses now, measured (the process runtime reads each
   * sandbox's cgroups). Repls that are starting are included once they have processes.
   */
  usage(): Promise<RuntimeUsage>;
  /** Prepares anything the repl needs before its first start. */
  create(spec: ReplSpec): Promise<void>;
  /** Starts the repl: workspace restored, IDE and agent up. Resolves once it is running. */
  start(spec: ReplSpec): Promise<void>;
  /** Stops the repl with its workspace saved to the store. Resolves once stopped. */
  stop(id: string): Promise<void>;
  /** Stops (without saving) and removes everything the runtime holds for the repl. */
  delete(id: string): Promise<void>;
  /** The repl's current state, from the driver's own watched view (cheap; called per request). */
  status(id: string): RuntimeStatus;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  watch(listener: (id: string, status: RuntimeStatus) => void): () => void;
  /** Runs a one-off command in the repl. */
  exec(id: string, request: ExecRequest): Promise<ExecResult>;
  /** The workspace folder as code-server inside the repl sees it (known before the repl starts). */
  workspacePath(id: string): string;
  /** Where to reach the repl's parts while it runs; undefined otherwise. */
  endpoints(id: string): Endpoints | undefined;
  /** Ids of the repls that are not stopped. */
  active(): string[];
  /** Finds repls left running by an earlier portal: adopts them or stops them with files saved. */
  recover(specFor: (id: string) => Promise<ReplSpec | undefined>): Promise<{ adopted: string[]; saved: string[] }>;
  /** Stops every repl (files saved) and releases everything. */
  close(): Promise<void>;
}
