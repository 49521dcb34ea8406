import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type AgentConfig, readAgentConfig } from '@codeyard/common/agent/config';
import type { QuiesceResult } from '@codeyard/common/agent/protocol';
import { OFFLINE_SAVE_RESULT_FILE, writeOfflineSaveResult } from '@codeyard/common/agent/offline-save';
import { replIdVariables, toolVariables } from '@codeyard/common/agent/repl-variables';
import { describeError } from '@codeyard/common/errors';
import { ideEnv } from './ide-env.js';
import { type AgentLive, createControlServer } from './control-server.js';
import { LogBuffer } from './log-buffer.js';
import { RunSupervisor } from './run-supervisor.js';
import { RelayClient } from './sync/store-client.js';
import { SyncEngine } from './sync/sync-engine.js';
import { mergeUserSettings } from './ide-settings.js';
import { IdeSupervisor } from './ide-supervisor.js';
import { runStaticServer } from './static-server.js';
import { createTunnelServer } from './tunnel-server.js';
import { createGateServer, createReadinessServer } from './gate-server.js';
import { listenOn, relayServer } from './listeners.js';
import { endOtherProcesses } from './quiesce.js';
import { WorkspaceFiles } from './workspace-files.js';

/**
 * The repl agent's entry point: `codeyard-agent <config.json>`. It runs inside the repl (the
 * same program in the local sandbox and in a Kubernetes pod) and lives as long as the repl.
 * `codeyard-agent serve-static` is the static stack's web server instead (static-server.ts).
 */
/**
 * The repl's network namespace has only loopback: HTTP_PROXY points here, and each connection
 * is relayed, byte for byte, to the portal's egress proxy through a unix socket.
 */
function startEgressRelay(egress: { socket: string; port: number }): Promise<void> {
  const relay = relayServer(() => net.connect(egress.socket));
  return new Promise((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(egress.port, '127.0.0.1', () => resolve());
  });
}

/**
 * The one-off save (`--sync-once`): saves what an earlier run left on disk, reports the result
 * (version, files, bytes, or why not) in the state folder for the runtime, and exits: 0 once
 * the store has it all.
 */
async function saveOnce(sync: SyncEngine, remote: RelayClient, resultFile: string, say: (line: string) => void): Promise<never> {
  try {
    await sync.prepare();
    const status = await sync.flush();
    const files = Object.values((await remote.manifest()).entries).filter((entry) => entry.type === 'file');
    const bytes = files.reduce((sum, entry) => sum + (entry.type === 'file' ? entry.size : 0), 0);
    writeOfflineSaveResult(resultFile, { ok: true, version: status.version, files: files.length, bytes });
    // Kept for people reading the log; the runtime reads the result file.
    say(`saved version ${status.version}`);
    process.exit(0);
  } catch (err) {
    say(`the workspace was not saved: ${describeError(err)}`);
    writeOfflineSaveResult(resultFile, { ok: false, error: describeError(err) });
    process.exit(1);
  }
}

/** Listens on every address of the pod (IPv6 and IPv4 where there are both). */
function listenTcp(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
}

/** How long SIGTERM waits for the last sync (the runtime flushes first; this is the safety net). */
const SHUTDOWN_FLUSH_MS = 20_000;

async function main(): Promise<void> {
  if (process.argv[2] === 'serve-static') return runStaticServer(process.argv.slice(3), process.env);
  const configFile = process.argv[2];
  if (!configFile) throw new Error('usage: codeyard-agent <config.json>');
  const config = readAgentConfig(configFile);
  fs.mkdirSync(config.stateDir, { recursive: true });
  const logs = new LogBuffer({ file: path.join(config.stateDir, 'app.log') });
  // What the agent starts (the app, its install, one-off commands; code-server with more of its
  // own) gets this environment: one object, shared by reference, so that the repl id an
  // activation brings reaches every later process.
  const env = { ...process.env, ...toolVariables(process.execPath, path.resolve(process.argv[1]!)) };
  const run = new RunSupervisor({ spec: config.app, cwd: config.workspace, env, logs, stateFile: path.join(config.stateDir, 'app.json'), policyFile: path.join(config.stateDir, 'app-policy.json') });
  const files = new WorkspaceFiles(config.workspace);
  const ide = config.ide
    ? new IdeSupervisor(config.ide.argv, { cwd: config.workspace, env: ideEnv(config, env), logFile: config.ide.logFile, onLog: (line) => process.stdout.write(`codeyard-agent ${config.replId}: ${line}\n`) })
    : undefined;
  const say = (line: string): void => void process.stdout.write(`codeyard-agent ${config.replId}: ${line}\n`);
  const makeSync = (options: NonNullable<AgentConfig['sync']>): SyncEngine =>
    new SyncEngine({ workspace: config.workspace, stateDir: config.stateDir, remote: new RelayClient(options), debounceMs: options.debounceMs, scanIntervalMs: options.scanIntervalMs, maxAttempts: process.argv.includes('--sync-once') ? 3 : undefined, log: (line) => say(`sync: ${line}`) });
  const sync = config.sync ? makeSync(config.sync) : undefined;
  // A warm-pool agent is nobody's yet: it answers /info once activated.
  const live: AgentLive = { sync, repl: config.pooled || !config.info ? undefined : { ...config.info, replId: config.replId } };
  const startSync = async (engine: SyncEngine): Promise<void> => {
    // The IDE opens on the restored files, never on an empty folder.
    const how = await engine.prepare();
    say(`workspace ${how}`);
    if (how === 'restored' && run.needsInstall) run.installInBackground();
    engine.start();
  };
  if (config.pooled) {
    // A warm-pool sandbox: VS Code is up on an empty folder; the repl arrives here.
    live.activate = async ({ replId, sync: options, info }) => {
      // From here on the app, its install and exec see the repl's id, as in a repl started cold.
      // code-server started before: the extension gives new terminals the id it reads on /info.
      Object.assign(env, replIdVariables(replId));
      live.repl = { ...info, replId };
      live.sync = makeSync(options);
      await startSync(live.sync);
      say(`activated as ${info.name}`);
      return live.sync.status;
    };
  }
  if (process.argv.includes('--sync-once')) {
    const resultFile = path.join(config.stateDir, OFFLINE_SAVE_RESULT_FILE);
    if (!sync || !config.sync) {
      writeOfflineSaveResult(resultFile, { ok: false, error: 'the agent config has no sync: there is nowhere to save to' });
      process.exit(1);
    }
    await saveOnce(sync, new RelayClient(config.sync), resultFile, say);
  }
  const quiesce = async (): Promise<QuiesceResult> => {
    // The supervisors first, so neither restarts what the sweep below ends.
    await Promise.all([run.stop(), ide?.stop()]);
    return config.ownPidNamespace ? endOtherProcesses() : { ended: 0, left: [] };
  };
  // An always-on app this agent starts by itself (below) runs before the portal can give the
  // repl its secrets, which come once the runtime reports the repl running: when they come, it
  // runs again with them (once), so a bot started after a crash does not go on without its token.
  let startedBeforeSecrets = false;
  const onSecrets = (variables: Readonly<Record<string, string>>): void => {
    if (!startedBeforeSecrets) return;
    startedBeforeSecrets = false;
    if (Object.keys(variables).length === 0 || !run.state.running) return;
    say("the repl's secrets arrived after its always-on app started: running it again with them");
    void run.restart();
  };
  const control = createControlServer({ live, run, logs, files, ide, workspace: config.workspace, env, maxFileBytes: config.maxFileBytes, quiesce, ideSettingsFile: config.ide?.settingsFile, onSecrets });
  const tunnel = createTunnelServer({ reservedPorts: new Set(config.egress ? [config.egress.port] : []) });
  const fds = config.listenFds ?? {};
  await listenOn(control, { path: config.controlSocket, fd: fds.control });
  await listenOn(tunnel, fds.tunnel !== undefined ? { fd: fds.tunnel } : { path: config.tunnelSocket });
  const ideSocket = config.ide?.socket;
  // The host reaches code-server only through this relay, on the descriptor it bound itself.
  if (fds.ide !== undefined && ideSocket) await listenOn(relayServer(() => net.connect(ideSocket)), { fd: fds.ide });
  if (config.egress) await startEgressRelay(config.egress);
  let ready = false;
  if (config.gate) {
    // A pod: the proxy and the portal come over the network, through the gate only.
    const reservedPorts = new Set([config.gate.port, config.gate.healthPort, ...(config.egress ? [config.egress.port] : [])]);
    await listenTcp(createGateServer({ secret: config.gate.secret, control, ideSocket, reservedPorts }), config.gate.port);
    await listenTcp(createReadinessServer(() => ready), config.gate.healthPort);
  }
  let restored = true;
  if (sync) {
    await startSync(sync).catch((err: unknown) => {
      // A permanent failure stays on /sync for the runtime to report; VS Code never opens on half a workspace.
      if (!sync.status.permanent) throw err;
      restored = false;
      say(`the workspace was not restored: ${sync.status.reason}`);
    });
  }
  if (config.ide && restored) {
    // Without its defaults VS Code still works: a settings problem must not keep the IDE down.
    await mergeUserSettings(config.ide.settingsFile, config.ide.settings).catch((err: unknown) => process.stdout.write(`codeyard-agent ${config.replId}: could not write VS Code settings: ${String(err)}\n`));
  }
  if (restored) ide?.start();
  ready = restored;
  // An always-on repl's agent restarted after its sandbox died: the app comes back by itself.
  if (restored && run.keepRunning && !config.pooled) {
    run.start();
    startedBeforeSecrets = true;
  }
  process.stdout.write(`codeyard-agent ${config.replId}: ready on ${config.controlSocket}\n`);

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    process.stdout.write(`codeyard-agent ${config.replId}: ${signal}, stopping the app\n`);
    // Nothing may write to the workspace after its last save.
    await quiesce().catch((err: unknown) => say(`could not end every process: ${String(err)}`));
    // A normal stop: the next start is told again whether the repl is always on.
    run.forgetPolicy();
    const active = live.sync;
    if (active) {
      // Last changes out before the sandbox ends, within the runtime's grace period.
      await Promise.race([active.flush(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS))]).catch((err: unknown) => say(`final sync failed: ${String(err)}`));
      await active.stop();
    }
    await logs.close();
    tunnel.close();
    control.close();
    control.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`codeyard-agent: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
