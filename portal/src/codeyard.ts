import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, pino } from 'pino';
import { type FirstSignIn, firstSignIn } from './accounts/first-sign-in.js';
import { loadAdminToken } from './api/admin-auth.js';
import { buildPortal, type Portal } from './app.js';
import { type Config, redactConfig } from './config.js';
import type { Database } from './db/open-database.js';
import { CodeServerProvisioner } from './runtime/process/code-server-provision.js';
import { ProcessRuntime, sandboxOptionsFrom } from './runtime/process/process-runtime.js';
import type { Runtime } from './runtime/runtime.js';
import { loadSigningKey } from './secrets.js';
import type { ObjectStore } from './store/object-store.js';
import { openStore } from './store/open-store.js';
import { WorkspaceStore } from './store/workspace-store.js';
import { loadTemplates, seedTemplates, type Template } from './templates/catalog.js';

/** The bundled agent, built by `npm run build` (agent/dist/codeyard-agent.cjs). */
export const AGENT_BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../agent/dist/codeyard-agent.cjs');
/** The Codeyard VS Code extension, built by `npm run build` (vscode-extension/dist/codeyard.vsix). */
export const IDE_EXTENSION = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../vscode-extension/dist/codeyard.vsix');

/**
 * What a caller may hand in instead of having it opened from the config (tests, the bench, and
 * later other drivers). Whatever is given is owned by the Codeyard from then on: `close()`
 * closes it.
 */
export interface CodeyardOverrides<R extends Runtime = Runtime> {
  store?: ObjectStore;
  /** Makes the runtime over the workspace view of the store (the process runtime when not given). */
  runtime?: (opened: { workspaces: WorkspaceStore; log: Logger }) => R;
  log?: Logger;
  templates?: readonly Template[];
  signingKey?: Buffer;
  /** The records' database (opened from the config when not given). */
  database?: Database;
  /** The clock of expiring credentials (API tokens, device sign-ins): tests move it. */
  clock?: () => number;
}

export interface Codeyard<R extends Runtime = ProcessRuntime> {
  portal: Portal;
  config: Readonly<Config>;
  store: ObjectStore;
  workspaces: WorkspaceStore;
  runtime: R;
  templates: readonly Template[];
  log: Logger;
  /** The admin token (CODEYARD_ADMIN_TOKEN, or generated into `<data>/admin-token`): the admin link carries it. */
  adminToken: string;
  /**
   * The way in printed at start while nobody can let others in: the owner link (owner mode, no
   * owner yet) or the first admin's invite (accounts mode, no admin yet). Made only by a portal
   * replica (CODEYARD_ROLE=all): a new one replaces the last.
   */
  firstSignIn: FirstSignIn | undefined;
  /** Installs code-server for the process runtime (undefined with another runtime). */
  provisioner: CodeServerProvisioner | undefined;
  /** Listens on the public port (the front server: fast path, then the portal and the proxy). */
  listen(port?: number, host?: string): Promise<void>;
  /**
   * Keeps sandboxes of every stack this host can run (or only of `only`) started ahead, as many
   * as the config's warm pool size; nothing with another runtime or a size of 0.
   */
  startWarmPool(only?: readonly string[]): Promise<void>;
  /**
   * What `npm start` begins once listening: code-server fetched in the background for the process
   * runtime (the kubernetes runtime's images hold it: nothing is downloaded), and the warm pool.
   */
  startBackground(report?: (message: string) => void): Promise<void>;
  /** Stops every repl (files saved), then the portal, then the store. */
  close(): Promise<void>;
}

/**
 * Makes the data folder passable but not listable (0711). A root portal runs each repl as its
 * own uid, which must get through it to its own folder; what is inside keeps its own modes
 * (secrets and the store are 0700). A folder an earlier version made 0700 is opened up the same way.
 */
async function prepareDataDir(dir: string, perReplUids: boolean, log: Logger): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o711 });
  if (!perReplUids) return;
  const stat = await fsp.stat(dir);
  if (stat.uid === 0 && (stat.mode & 0o001) === 0) {
    await fsp.chmod(dir, (stat.mode & 0o777) | 0o011);
    log.info({ dir }, 'data folder made passable for repl users (o+x, not listable)');
  }
}

/** Host checks of the process runtime, and what it will enforce here, into the log. */
async function prepareProcessRuntime(runtime: ProcessRuntime, log: Logger): Promise<void> {
  await runtime.prepare();
  const problem = await runtime.sandboxProblem();
  if (problem) log.error({}, problem);
  const described = runtime.describe();
  const enforced = Object.entries(described.limits).map(([name, l]) => `${name}: ${l.enforced ? `${l.value ?? 'on'} (${l.mechanism})` : `not enforced (${l.reason})`}`);
  log.info({ runtime: described }, `repl isolation: sandbox ${described.sandbox}, network ${described.network}; limits: ${enforced.join('; ')}`);
}

/**
 * The one way Codeyard is put together, for `npm start`, the tests and the bench: opens the
 * store, templates, signing key, runtime and log from `config` (each unless given in
 * `overrides`), builds the portal, runs the runtime's host checks and recovers repls an earlier
 * portal left running. Nothing listens until `listen()`.
 */
export async function createCodeyard(config: Readonly<Config>, overrides?: CodeyardOverrides<ProcessRuntime>): Promise<Codeyard<ProcessRuntime>>;
export async function createCodeyard<R extends Runtime>(config: Readonly<Config>, overrides: CodeyardOverrides<R> & { runtime: CodeyardOverrides<R>['runtime'] }): Promise<Codeyard<R>>;
export async function createCodeyard(config: Readonly<Config>, overrides: CodeyardOverrides = {}): Promise<Codeyard<Runtime>> {
  const log = overrides.log ?? pino({ level: config.logLevel, redact: ['signingKey', 'req.headers.authorization', 'req.headers.cookie'] });
  log.info({ config: redactConfig(config) }, 'starting Codeyard');
  // Repl users need a way through the data folder only when repls are this machine's processes.
  await prepareDataDir(config.dataDir, config.runtime === 'process' && config.sandbox === 'bubblewrap' && process.getuid?.() === 0, log);
  const templates = overrides.templates ?? (await loadTemplates(config.templatesDir));
  const store = overrides.store ?? (await openStore(config));
  let runtime: Runtime | undefined;
  let portal: Portal | undefined;
  let provisioner: CodeServerProvisioner | undefined;
  const close = async (): Promise<void> => {
    await runtime?.close();
    await portal?.close();
    await store.close();
  };
  try {
    log.info(await seedTemplates(store, templates), 'templates in the store');
    const signingKey = overrides.signingKey ?? (await loadSigningKey(config.dataDir, config.signingKey));
    const adminToken = await loadAdminToken(config.dataDir, config.adminToken);
    const workspaces = new WorkspaceStore(store);
    if (overrides.runtime) {
      runtime = overrides.runtime({ workspaces, log });
    } else if (config.runtime === 'kubernetes') {
      // Loaded only here: the Kubernetes client takes ~0.3 s to load, which every one-machine start paid.
      const { openKubernetesRuntime } = await import('./runtime/kubernetes/open-kube-runtime.js');
      runtime = await openKubernetesRuntime(config, { workspaces, signingKey, log });
    } else {
      provisioner = new CodeServerProvisioner(config.cacheDir, config.codeServerBin);
      runtime = new ProcessRuntime({
        rootDir: path.join(config.dataDir, 'repls'),
        workspaces,
        sync: { debounceMs: config.syncDebounceMs, scanIntervalMs: config.syncScanMs },
        provisioner,
        agentBundle: AGENT_BUNDLE,
        ideExtension: IDE_EXTENSION,
        maxFileBytes: config.maxFileBytes,
        sandbox: sandboxOptionsFrom(config),
        log,
      });
    }
    const built = await buildPortal({ config, store, workspaces, runtime, templates, signingKey, log, database: overrides.database, adminToken, clock: overrides.clock });
    portal = built;
    // Host checks (bubblewrap, cgroups, code-server) only where repls are this machine's processes.
    if (runtime instanceof ProcessRuntime) await prepareProcessRuntime(runtime, log);
    // Recovery deletes what nobody uses (pods of deleted repls, old warm pods, leftovers): the
    // portal replicas' work. A proxy replica follows the pods through the runtime's watch only.
    if (config.role !== 'proxy') {
      const recovered = await runtime.recover((id) => built.repls.specFor(id));
      if (recovered.adopted.length || recovered.saved.length) log.info(recovered, 'repls found from an earlier run');
    }
    const signIn = config.role === 'proxy' ? undefined : await firstSignIn(config.authMode, built.auth, built.origin);
    const running = runtime;
    const startWarmPool = async (only?: readonly string[]): Promise<void> => {
      if (config.role === 'proxy' || !('warmPool' in running && typeof running.warmPool === 'function') || config.warmPool <= 0) return;
      const stacks = [];
      for (const t of templates) if ((!only || only.includes(t.manifest.id)) && (await running.checkStack(t.manifest)).available) stacks.push(t.manifest);
      (running as ProcessRuntime).warmPool(stacks, config.warmPool, { maxLoad: config.warmPoolMaxLoad || undefined });
      log.info({ stacks: stacks.map((m) => m.id), size: config.warmPool }, 'warm pool: sandboxes started ahead per stack');
    };
    return {
      portal: built,
      config,
      store,
      workspaces,
      runtime: running,
      templates,
      log,
      adminToken,
      firstSignIn: signIn,
      provisioner,
      listen: (port = config.port, host = config.bind) => built.listen(port, host),
      startWarmPool,
      async startBackground(report = (message) => log.info({}, message)) {
        // Fetch code-server now, in the background, so the first repl does not wait for it.
        if (provisioner && !(await provisioner.installed())) {
          provisioner.ensure(report).catch((err: unknown) => log.error({ err: (err as Error).message }, 'code-server could not be installed; repls cannot start until it is'));
        }
        void startWarmPool();
      },
      close,
    };
  } catch (err) {
    // A Codeyard that did not come up must not keep the process alive (the runtime's egress proxy listens).
    await close().catch(() => undefined);
    throw err;
  }
}
