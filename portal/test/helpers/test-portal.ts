import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildPortal, type Portal } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CodeServerProvisioner } from '../../src/runtime/process/code-server-provision.js';
import { ProcessRuntime, sandboxOptionsFrom } from '../../src/runtime/process/process-runtime.js';
import { sharedDir } from '../../src/runtime/process/repl-folders.js';
import { unmountVolume } from '../../src/runtime/process/workspace-volume.js';
import { loadSigningKey } from '../../src/secrets.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { openStore } from '../../src/store/open-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { loadTemplates, seedTemplates } from '../../src/templates/catalog.js';
import { freePort, request, type Reply } from './http.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const AGENT_BUNDLE = path.join(REPO_ROOT, 'agent', 'dist', 'codeyard-agent.cjs');
export const IDE_EXTENSION = path.join(REPO_ROOT, 'vscode-extension', 'dist', 'codeyard.vsix');

export interface TestPortal {
  portal: Portal;
  port: number;
  dataDir: string;
  store: ObjectStore;
  workspaces: WorkspaceStore;
  runtime: ProcessRuntime;
  /** Calls the API on the portal host with a bearer token. */
  api(token: string | undefined, method: string, path: string, body?: unknown): Promise<Reply>;
  newToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real thing on a free loopback port: fs store in a temporary folder, the process runtime
 * with real code-server (from the shared cache, installed on first use) and the real agent.
 */
export async function startTestPortal(options: { dataDir?: string; env?: Record<string, string>; warmStacks?: string[] } = {}): Promise<TestPortal> {
  const port = await freePort();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cy-it-'));
  // Sandbox users (one uid per repl) must pass through to their folders.
  fs.chmodSync(dataDir, 0o711);
  // No warm pool unless a test asks for one: sandboxes started ahead would skew what others measure.
  const config = loadConfig({ CODEYARD_WARM_POOL: '0', PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, CODEYARD_CACHE: process.env.CODEYARD_CACHE, CODE_SERVER_BIN: process.env.CODE_SERVER_BIN, PORT: String(port), CODEYARD_DATA: dataDir, ...options.env });
  const log = pino({ level: process.env.CODEYARD_TEST_LOG ?? 'warn' });
  const templates = await loadTemplates(config.templatesDir);
  const store = await openStore(config);
  await seedTemplates(store, templates);
  const provisioner = new CodeServerProvisioner(config.cacheDir, config.codeServerBin);
  const workspaces = new WorkspaceStore(store);
  const runtime = new ProcessRuntime({ rootDir: path.join(dataDir, 'repls'), workspaces, sync: { debounceMs: config.syncDebounceMs, scanIntervalMs: config.syncScanMs }, provisioner, agentBundle: AGENT_BUNDLE, ideExtension: IDE_EXTENSION, maxFileBytes: config.maxFileBytes, sandbox: sandboxOptionsFrom(config), log });
  let portal: Portal | undefined;
  try {
    portal = await buildPortal({ config, store, workspaces, runtime, templates, signingKey: await loadSigningKey(dataDir), log });
    const built = portal;
    await runtime.prepare();
    await runtime.recover((id) => built.repls.specFor(id));
    await portal.listen(port, '127.0.0.1');
    if (config.warmPool > 0) {
      const stacks = [];
      for (const t of templates) if ((await runtime.checkStack(t.manifest)).available) stacks.push(t.manifest);
      runtime.warmPool(stacks.filter((m) => !options.warmStacks || options.warmStacks.includes(m.id)), config.warmPool, { maxLoad: config.warmPoolMaxLoad || undefined });
    }
  } catch (err) {
    // A portal that did not come up must not keep the test process alive (its egress proxy listens).
    await runtime.close().catch(() => undefined);
    await portal?.close().catch(() => undefined);
    throw err;
  }
  const api = (token: string | undefined, method: string, apiPath: string, body?: unknown): Promise<Reply> =>
    request(port, {
      method,
      path: apiPath,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return {
    portal,
    port,
    dataDir,
    store,
    workspaces,
    runtime,
    api,
    async newToken() {
      const res = await api(undefined, 'POST', '/api/session');
      if (res.status !== 201) throw new Error(`session: ${res.status} ${res.body}`);
      return res.json<{ token: string }>().token;
    },
    async close() {
      await runtime.close();
      await portal.close();
      // A server keeps its shared volume mounted across restarts; a test's data folder is thrown away.
      await unmountVolume(sharedDir(path.join(dataDir, 'repls'))).catch(() => undefined);
    },
  };
}
