import fs from 'node:fs';
import net, { type Server } from 'node:net';
import path from 'node:path';
import { readAgentConfig } from './agent-config.js';
import { createControlServer } from './control-server.js';
import { LogBuffer } from './log-buffer.js';
import { RunSupervisor } from './run-supervisor.js';
import { mergeUserSettings } from './ide-settings.js';
import { IdeSupervisor } from './ide-supervisor.js';
import { createTunnelServer } from './tunnel-server.js';
import { WorkspaceFiles } from './workspace-files.js';

/**
 * The repl agent's entry point: `codeyard-agent <config.json>`. It runs inside the repl (the
 * same program in the local sandbox and in a Kubernetes pod) and lives as long as the repl.
 */
function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  fs.rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      // Only the agent's own user (and root) may connect.
      fs.chmodSync(socketPath, 0o600);
      resolve();
    });
  });
}

/**
 * The repl's network namespace has only loopback: HTTP_PROXY points here, and each connection
 * is relayed, byte for byte, to the portal's egress proxy through a unix socket.
 */
function startEgressRelay(egress: { socket: string; port: number }): Promise<void> {
  const relay = net.createServer((client) => {
    const upstream = net.connect(egress.socket);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(egress.port, '127.0.0.1', () => resolve());
  });
}

async function main(): Promise<void> {
  const configFile = process.argv[2];
  if (!configFile) throw new Error('usage: codeyard-agent <config.json>');
  const config = readAgentConfig(configFile);
  fs.mkdirSync(config.stateDir, { recursive: true });
  const logs = new LogBuffer({ file: path.join(config.stateDir, 'app.log') });
  const env = { ...process.env };
  const run = new RunSupervisor({ spec: config.app, cwd: config.workspace, env, logs, stateFile: path.join(config.stateDir, 'app.json') });
  const files = new WorkspaceFiles(config.workspace);
  const ide = config.ide
    ? new IdeSupervisor(config.ide.argv, { cwd: config.workspace, env, logFile: config.ide.logFile, onLog: (line) => process.stdout.write(`codeyard-agent ${config.replId}: ${line}\n`) })
    : undefined;
  const control = createControlServer({ run, logs, files, ide, workspace: config.workspace, env, maxFileBytes: config.maxFileBytes });
  const tunnel = createTunnelServer({ reservedPorts: new Set(config.egress ? [config.egress.port] : []) });
  await listenOnSocket(control, config.controlSocket);
  await listenOnSocket(tunnel, config.tunnelSocket);
  if (config.egress) await startEgressRelay(config.egress);
  if (config.ide) {
    // Without its defaults VS Code still works: a settings problem must not keep the IDE down.
    await mergeUserSettings(config.ide.settingsFile, config.ide.settings).catch((err: unknown) => process.stdout.write(`codeyard-agent ${config.replId}: could not write VS Code settings: ${String(err)}\n`));
  }
  ide?.start();
  process.stdout.write(`codeyard-agent ${config.replId}: ready on ${config.controlSocket}\n`);

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    process.stdout.write(`codeyard-agent ${config.replId}: ${signal}, stopping the app\n`);
    await Promise.all([run.stop(), ide?.stop()]);
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
