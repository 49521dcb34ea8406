import type { Config } from '../../config.js';
import type { WorkspaceStore } from '../../store/workspace-store.js';
import type { CodeServerProvisioner } from './code-server-provision.js';
import type { SandboxLimits } from './sandbox.js';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProcessRuntimeOptions {
  /** Where each repl gets a folder: workspace, home, state, sockets. */
  rootDir: string;
  /** The object store's workspaces; each repl's agent syncs to its own through a relay. */
  workspaces: WorkspaceStore;
  /** Sync timing handed to the agent (its defaults when absent). */
  sync?: { debounceMs?: number; scanIntervalMs?: number };
  provisioner: CodeServerProvisioner;
  /** The bundled repl agent (agent/dist/codeyard-agent.cjs). */
  agentBundle: string;
  /**
   * The Codeyard VS Code extension (vscode-extension/dist/codeyard.vsix), built into every repl's
   * code-server; without it (or when the file is missing) code-server runs without it.
   */
  ideExtension?: string;
  /** Largest file the agent's files API handles. */
  maxFileBytes: number;
  sandbox: SandboxOptions;
  log: Logger;
}

/** A repl's limits: rlimits, and what cgroups and its volume enforce. */
export type ReplLimits = SandboxLimits & { memoryBytes: number; cpus: number; diskBytes: number };

export interface SandboxOptions {
  /** `bubblewrap`: every repl process in its own sandbox. `off`: plain processes (trusted use only). */
  mode: 'bubblewrap' | 'off';
  /**
   * `internet`: the repl's own network namespace, with HTTP(S) out through the egress proxy
   * (public addresses only). `none`: its own namespace, loopback only. `host`: the host's network.
   */
  network: 'internet' | 'none' | 'host';
  /** First host uid handed to repls when the portal runs as root (one uid per repl). */
  uidBase: number;
  limits: ReplLimits;
}

/** The sandbox settings of a configuration. */
export function sandboxOptionsFrom(config: Readonly<Config>): SandboxOptions {
  return {
    mode: config.sandbox,
    network: config.replNetwork,
    uidBase: config.sandboxUidBase,
    limits: {
      processes: config.limitProcesses,
      openFiles: config.limitOpenFiles,
      memoryBytes: config.limitMemoryBytes,
      cpus: config.limitCpus,
      diskBytes: config.limitDiskBytes,
    },
  };
}

/**
 * The runtime's default limits with the stack's own overrides on top, and the repl's own memory
 * limit (ReplSpec.memoryLimitBytes) when it is lower: a repl's own limit only ever lowers it, so
 * a server whose limit was lowered after a class was made still holds its repls to the server's.
 */
export function limitsFor(defaults: ReplLimits, own: { processes?: number; memoryMb?: number; cpus?: number; diskMb?: number } = {}, replMemoryBytes?: number): ReplLimits {
  const memoryBytes = own.memoryMb !== undefined ? own.memoryMb * 1024 * 1024 : defaults.memoryBytes;
  return {
    processes: own.processes ?? defaults.processes,
    openFiles: defaults.openFiles,
    memoryBytes: replMemoryBytes !== undefined ? Math.min(memoryBytes, replMemoryBytes) : memoryBytes,
    cpus: own.cpus ?? defaults.cpus,
    diskBytes: own.diskMb !== undefined ? own.diskMb * 1024 * 1024 : defaults.diskBytes,
  };
}
