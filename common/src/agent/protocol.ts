import type { GateTarget } from './gate.js';

/**
 * What the repl agent and its clients (the portal, the proxy, the VS Code extension) say to
 * each other: the data on the wire. The agent serves HTTP on a unix socket (`control`; its
 * routes are in routes.ts beside this), and raw port tunnels on a second socket (`tunnel`): a
 * client writes one line `PORT <n>\n`, then speaks to that port inside the repl as if
 * connected directly. Sockets rather than TCP ports keep the repl's own network (its
 * namespace, later) out of the portal's way, and need no port per repl on the host.
 */

/** The line a tunnel client writes first. */
export function tunnelPreamble(port: number): string {
  return `PORT ${port}\n`;
}

export const TUNNEL_PREAMBLE_MAX = 16;

/** Parses the preamble line (without the newline); undefined when it is not one. */
export function parseTunnelPreamble(line: string): number | undefined {
  const match = /^PORT ([1-9][0-9]{0,4})$/.exec(line);
  if (!match) return undefined;
  const port = Number(match[1]);
  return port <= 65535 ? port : undefined;
}

/**
 * Where a client reaches something: a unix socket, a TCP address, a port through a tunnel socket,
 * or a pod's agent gate over the network (gate.ts: the first line carries the pod's secret; `name`
 * says whose it is, for messages and for dropping a stopped repl's pooled connections).
 */
export type Target =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'tunnel'; socketPath: string; port: number }
  | { kind: 'gate'; host: string; port: number; secret: string; to: GateTarget; name?: string };

export interface AppState {
  running: boolean;
  /** Process id of the app's process group leader while running. */
  pid?: number;
  command?: string;
  startedAt?: string;
  exitedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** True when the last run ended because Stop was pressed. */
  stopped?: boolean;
  /** Times the keep-running policy restarted the app after it crashed (since the last Run or Stop). */
  restarts?: number;
  /** Set while a crashed app waits for its restart (ISO 8601: when it starts again). */
  restartAt?: string;
  /** Why the keep-running policy stopped restarting it (it crashed too often). */
  gaveUp?: string;
}

/**
 * POST /app/policy: whether the agent restarts the app when it exits abnormally (an always-on
 * repl). Kept in the agent's state folder, so an agent the runtime restarts after a sandbox
 * crash starts the app again by itself; a normal stop forgets it (the portal says it at every start).
 */
export interface AppPolicy {
  keepRunning: boolean;
}

export interface ExecRequest {
  command: string;
  timeoutMs?: number;
  /** Run without the repl's secrets (a teacher's grading command: its output goes to the teacher). */
  withoutSecrets?: boolean;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

export interface FileEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  modifiedAt: string;
}

export type SyncState = 'starting' | 'restoring' | 'synced' | 'pending' | 'syncing' | 'degraded';

/** What the repl JSON shows about saving (GET /api/repls/:id → sync). */
export interface SyncStatus {
  state: SyncState;
  /** Paths changed here and not yet in the store (as far as the agent has seen). */
  pending: number;
  /** Why the last attempt failed, when degraded; the agent keeps retrying unless `permanent`. */
  reason?: string;
  /** Set when retrying cannot help (the workspace does not fit its disk): the reason says what to do. */
  permanent?: boolean;
  /** When the store last matched the workspace. */
  lastSyncAt?: string;
  /** The stored manifest version the workspace matches (or is based on). */
  version: number;
  /** While restoring: files written so far and in all. */
  restore?: { done: number; total: number };
  /** Paths never saved because the store cannot hold their names. */
  skipped?: string[];
}

/** GET /healthz: the agent answers, with the app's, the IDE's and the sync's state. */
export interface AgentHealth {
  ok: true;
  app: AppState;
  /** code-server's state, when the agent runs it. */
  ide?: unknown;
  sync?: SyncStatus;
}

/**
 * A notice the repl's VS Code shows in its status bar (the Codeyard extension polls GET /notice):
 * a teacher viewing a student's repl. Kept in the agent's memory until `until`.
 */
export interface ReplNotice {
  text?: string;
  /** ISO time it stops showing. */
  until?: string;
}

/** POST /notice: what to show and for how long. */
export interface NoticeRequest {
  text: string;
  seconds: number;
}

/** The longest a notice shows (it is set again when the teacher opens the IDE again). */
export const NOTICE_MAX_SECONDS = 4 * 3600;

/** POST /quiesce: how many other processes of the repl were ended, and which could not be. */
/**
 * Whether the repl's VS Code was given a display language of its own: its `argv.json` exists
 * beside its user settings ("Configure Display Language" writes it). Then only its code-server
 * can make its page (the proxy's ide-page.ts makes the English one).
 */
export interface IdeLocale {
  configured: boolean;
}

export interface QuiesceResult {
  ended: number;
  left: number[];
}

/** PUT /files/<path>: 201 when the file is new. */
export interface WriteFileResult {
  path: string;
  created: boolean;
}

/** One frame on the app-log WebSocket (`/app/logs`, upgraded). */
export type LogFrame =
  | { type: 'output'; stream: 'stdout' | 'stderr' | 'system'; data: string; at: string }
  | { type: 'state'; app: AppState };

export const EXEC_DEFAULT_TIMEOUT_MS = 30_000;
export const EXEC_MAX_TIMEOUT_MS = 10 * 60_000;
export const EXEC_OUTPUT_CAP_BYTES = 1024 * 1024;

/**
 * The repl's secrets as the agent holds them (in memory only, never on disk): environment
 * variables for Run, its install step, exec, and (through the VS Code extension) new terminals.
 * `version` goes up with every set the agent takes, so the extension sees a change by polling
 * GET /env. `revision` is the portal's revision of the set it holds (0 before any): it never goes
 * down, so a set pushed late by one portal replica cannot replace a newer one another pushed.
 */
export interface ReplEnv {
  version: number;
  revision: number;
  variables: Record<string, string>;
}

/**
 * PUT /env: the whole set (the portal sends every secret each time; an empty object clears them)
 * and its revision: a set older than the one the agent holds is not taken (the answer is what it
 * holds, so the caller sees it was late). Without a revision the set is taken as it comes and the
 * revision stays as it was.
 */
export interface SetEnvRequest {
  variables: Record<string, string>;
  revision?: number;
}
