import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildPortal } from './app.js';
import { type Config, ConfigError, loadConfig, redactConfig } from './config.js';
import { helpText } from './config-docs.js';
import { CodeServerProvisioner } from './runtime/process/code-server-provision.js';
import { ProcessRuntime, sandboxOptionsFrom } from './runtime/process/process-runtime.js';
import { loadSigningKey } from './secrets.js';
import { openStore } from './store/open-store.js';
import { WorkspaceStore } from './store/workspace-store.js';
import { loadTemplates, seedTemplates, type Template } from './templates/catalog.js';
import { ManifestError } from './templates/manifest.js';

/** The bundled agent, built by `npm run build` (agent/dist/codeyard-agent.cjs). */
export const AGENT_BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../agent/dist/codeyard-agent.cjs');
/** The Codeyard VS Code extension, built by `npm run build` (vscode-extension/dist/codeyard.vsix). */
export const IDE_EXTENSION = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../vscode-extension/dist/codeyard.vsix');

/**
 * Makes the data folder passable but not listable (0711). A root portal runs each repl as its
 * own uid, which must get through it to its own folder; what is inside keeps its own modes
 * (secrets and the store are 0700). A folder an earlier version made 0700 is opened up the same way.
 */
async function prepareDataDir(dir: string, perReplUids: boolean, log: { info(obj: object, msg: string): void }): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o711 });
  if (!perReplUids) return;
  const stat = await fsp.stat(dir);
  if (stat.uid === 0 && (stat.mode & 0o001) === 0) {
    await fsp.chmod(dir, (stat.mode & 0o777) | 0o011);
    log.info({ dir }, 'data folder made passable for repl users (o+x, not listable)');
  }
}

/** Keeps sandboxes of every stack available here started ahead (after code-server is installed). */
export async function startWarmPool(runtime: ProcessRuntime, templates: readonly Template[], config: Readonly<Config>, log: { info(obj: object, msg: string): void }): Promise<void> {
  const stacks = [];
  for (const t of templates) if ((await runtime.checkStack(t.manifest)).available) stacks.push(t.manifest);
  runtime.warmPool(stacks, config.warmPool, { maxLoad: config.warmPoolMaxLoad || undefined });
  log.info({ stacks: stacks.map((m) => m.id), size: config.warmPool }, 'warm pool: sandboxes started ahead per stack');
}

/** `npm start`: portal + proxy + process runtime + fs store on one port. */
async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  const config = loadConfig();
  const log = pino({ level: config.logLevel, redact: ['signingKey', 'req.headers.authorization', 'req.headers.cookie'] });
  log.info({ config: redactConfig(config) }, 'starting Codeyard');

  await prepareDataDir(config.dataDir, config.sandbox === 'bubblewrap' && process.getuid?.() === 0, log);
  const templates = await loadTemplates(config.templatesDir);
  const store = await openStore(config);
  const seeded = await seedTemplates(store, templates);
  log.info(seeded, 'templates in the store');
  const signingKey = await loadSigningKey(config.dataDir, config.signingKey);
  const provisioner = new CodeServerProvisioner(config.cacheDir, config.codeServerBin);
  const workspaces = new WorkspaceStore(store);
  const runtime = new ProcessRuntime({ rootDir: path.join(config.dataDir, 'repls'), workspaces, sync: { debounceMs: config.syncDebounceMs, scanIntervalMs: config.syncScanMs }, provisioner, agentBundle: AGENT_BUNDLE, ideExtension: IDE_EXTENSION, maxFileBytes: config.maxFileBytes, sandbox: sandboxOptionsFrom(config), log });
  const portal = await buildPortal({ config, store, workspaces, runtime, templates, signingKey, log });
  await runtime.prepare();
  const problem = await runtime.sandboxProblem();
  if (problem) log.error({}, problem);
  const described = runtime.describe();
  const enforced = Object.entries(described.limits).map(([name, l]) => `${name}: ${l.enforced ? `${l.value ?? 'on'} (${l.mechanism})` : `not enforced (${l.reason})`}`);
  log.info({ runtime: described }, `repl isolation: sandbox ${described.sandbox}, network ${described.network}; limits: ${enforced.join('; ')}`);
  const recovered = await runtime.recover((id) => portal.repls.specFor(id));
  if (recovered.adopted.length || recovered.saved.length) log.info(recovered, 'repls found from an earlier run');

  await portal.listen(config.port, config.bind);
  process.stderr.write(`\nCodeyard is running: open ${portal.origin}\n\n`);

  // Fetch code-server now, in the background, so the first repl does not wait for it.
  if (!(await provisioner.installed())) {
    provisioner
      .ensure((message) => process.stderr.write(`[codeyard] ${message}\n`))
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'code-server could not be installed; repls cannot start until it is'));
  }

  if (config.warmPool > 0) void startWarmPool(runtime, templates, config, log);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C does not wait: what is not saved yet stays on disk and is saved at the next start.
      process.stderr.write(`\n[codeyard] ${signal} again: exiting now; unsaved files stay on this machine and are saved at the next start\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n[codeyard] ${signal}: stopping repls (files are saved; press Ctrl-C again to exit at once)…\n`);
    void (async () => {
      await runtime.close();
      await portal.close();
      await store.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ManifestError) {
    process.stderr.write(`codeyard: ${err.message}\n`);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`codeyard: port ${(err as { port?: number }).port ?? ''} is in use: stop what uses it or set PORT to another port\n`);
  } else {
    process.stderr.write(`codeyard: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1);
});
