import type { StackManifest } from '../templates/manifest.js';
import type { AgentConfig, AgentGateConfig, AgentSyncConfig, ReplInfo } from '@codeyard/common/agent/config';

/** Paths as a repl's own processes see them (inside a sandbox or pod: fixed ones). */
export interface AgentPaths {
  home: string;
  workspace: string;
  run: string;
  state: string;
  /** Folder of the workspace relay socket. */
  store: string;
}

export interface AgentConfigInput {
  /** The repl it serves; a warm sandbox's own id until it is activated. */
  replId: string;
  manifest: StackManifest;
  info?: ReplInfo;
  paths: AgentPaths;
  /** Sync timing (the agent's defaults when absent). */
  sync?: { debounceMs?: number; scanIntervalMs?: number };
  maxFileBytes: number;
  /** The agent's pid namespace is the repl's alone (a sandbox, a pod). */
  ownPidNamespace: boolean;
  /** Listening sockets handed to the agent as descriptors (see the agent's config type). */
  listenFds?: { control: number; tunnel: number; ide: number };
  /** A warm sandbox: it learns its repl (and so where to sync) at activation. */
  pooled?: boolean;
  /** The workspace relay on the network with the repl's credential (a pod), instead of the socket in `paths.store`. */
  relay?: { url: string; token: string };
  /** The gate the proxy and portal come through on a network (a pod). */
  gate?: AgentGateConfig;
  /** The egress relay, when the repl's way out is the egress proxy. */
  egress?: { socket: string; port: number };
  /** code-server's command line and default settings; none for a one-off save. */
  ide?: { argv: string[]; settings: Readonly<Record<string, unknown>>; env?: Readonly<Record<string, string>> };
}

/** Where the agent syncs: the repl's relay socket (or, in a pod, the network relay with its credential), with the portal's timing. */
export function agentSyncConfig(paths: Pick<AgentPaths, 'store'>, timing: AgentConfigInput['sync'], relay?: AgentConfigInput['relay']): AgentSyncConfig {
  if (relay) return { url: relay.url, token: relay.token, ...timing };
  return { socket: `${paths.store}/store.sock`, ...timing };
}

/**
 * The agent's configuration (the JSON its runtime writes for it), the same for every driver;
 * a driver only says where things are and writes it where its agent reads it. Its type is the
 * contract's, which the agent checks the file against when it starts.
 */
export function buildAgentConfig(input: AgentConfigInput): AgentConfig {
  const { paths, manifest } = input;
  return {
    replId: input.replId,
    workspace: paths.workspace,
    ownPidNamespace: input.ownPidNamespace || undefined,
    controlSocket: `${paths.run}/agent.sock`,
    tunnelSocket: `${paths.run}/tunnel.sock`,
    listenFds: input.listenFds,
    stateDir: paths.state,
    maxFileBytes: input.maxFileBytes,
    app: { run: manifest.run, install: manifest.install, installCreates: manifest.installCreates },
    // A warm-pool sandbox learns its repl (and so where to sync) at activation.
    sync: input.pooled ? undefined : agentSyncConfig(paths, input.sync, input.relay),
    pooled: input.pooled || undefined,
    gate: input.gate,
    egress: input.egress,
    info: input.pooled ? { name: '', stack: manifest.id, port: manifest.port, previewUrl: '' } : input.info,
    ide: input.ide
      ? {
          argv: input.ide.argv,
          logFile: `${paths.state}/code-server.log`,
          settingsFile: `${paths.home}/.local/share/code-server/User/settings.json`,
          settings: input.ide.settings,
          socket: `${paths.run}/ide.sock`,
          ...(input.ide.env ? { env: { ...input.ide.env } } : {}),
        }
      : undefined,
  };
}
