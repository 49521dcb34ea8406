import fs from 'node:fs';
import type { RunSpec } from './run-supervisor.js';

/** What the runtime tells an agent when it starts it (a JSON file named on the command line). */
export interface AgentConfig {
  replId: string;
  /** The workspace folder: the app's cwd, the files API's root. */
  workspace: string;
  /** HTTP control API socket. */
  controlSocket: string;
  /** Port tunnel socket (used when no `listenFds.tunnel` is given). */
  tunnelSocket: string;
  /**
   * Listening sockets the runtime bound on the host, in a folder of its own, and handed to the
   * agent as these descriptors: the only sockets the host side connects to. `control` serves the
   * control API (next to `controlSocket`, which the extension uses inside), `tunnel` the port
   * tunnels, `ide` a byte relay to code-server's own socket (`ide.socket`).
   */
  listenFds?: { control?: number; tunnel?: number; ide?: number };
  /** Private directory for the agent's state and logs. */
  stateDir: string;
  app: RunSpec;
  /** Largest file the files API reads or writes. */
  maxFileBytes: number;
  /** code-server's command line, run and kept running by the agent; its output goes to logFile. */
  ide?: { argv: string[]; logFile: string; settingsFile: string; settings: Record<string, unknown>; socket?: string };
  /** Workspace sync through the portal's relay socket; without it the workspace is not saved. */
  sync?: { socket: string; debounceMs?: number; scanIntervalMs?: number };
  /** When set, a relay on 127.0.0.1:port inside the repl to the egress proxy's unix socket. */
  egress?: { socket: string; port: number };
  /** What the IDE shows about the repl: given to code-server (only) as CODEYARD_* variables. */
  info?: ReplInfo;
  /**
   * A warm-pool sandbox: code-server starts at once on an empty workspace, and the repl it will
   * be (its sync, its name) comes later with POST /activate.
   */
  pooled?: boolean;
  /**
   * The agent's pid namespace is the repl's alone (the bubblewrap sandbox; a pod): a stop may then
   * end every other process in it before the last save. Never set for unsandboxed processes.
   */
  ownPidNamespace?: boolean;
}

export interface ReplInfo {
  name: string;
  stack: string;
  port: number;
  previewUrl: string;
}

/**
 * The environment code-server runs with: the repl's own, plus where the Codeyard VS Code
 * extension finds the agent and what it shows (the app never sees these).
 */
export function ideEnv(config: AgentConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const ide: NodeJS.ProcessEnv = { ...env, CODEYARD_AGENT_SOCKET: config.controlSocket };
  if (config.info) {
    ide.CODEYARD_REPL_NAME = config.info.name;
    ide.CODEYARD_STACK = config.info.stack;
    ide.CODEYARD_APP_PORT = String(config.info.port);
    ide.CODEYARD_PREVIEW_URL = config.info.previewUrl;
  }
  return ide;
}

export function readAgentConfig(file: string): AgentConfig {
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<AgentConfig>;
  for (const field of ['replId', 'workspace', 'controlSocket', 'tunnelSocket', 'stateDir'] as const) {
    if (typeof config[field] !== 'string' || !config[field]) throw new Error(`agent config ${file}: ${field} must be a non-empty string`);
  }
  if (typeof config.app?.run !== 'string') throw new Error(`agent config ${file}: app.run must be a string`);
  return { maxFileBytes: 16 * 1024 * 1024, ...config } as AgentConfig;
}
