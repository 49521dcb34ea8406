import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Portal } from '../../src/app.js';
import { createCodeyard } from '../../src/codeyard.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { ProcessRuntime } from '../../src/runtime/process/process-runtime.js';
import { sharedDir } from '../../src/runtime/process/repl-folders.js';
import { unmountVolume } from '../../src/runtime/process/workspace-volume.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import type { WorkspaceStore } from '../../src/store/workspace-store.js';
import { freePort, request, type Reply } from './http.js';

export { AGENT_BUNDLE, IDE_EXTENSION } from '../../src/codeyard.js';
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

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
export async function startTestPortal(options: { dataDir?: string; env?: Record<string, string>; warmStacks?: string[]; config?: Partial<Config> } = {}): Promise<TestPortal> {
  const port = await freePort();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cy-it-'));
  // No warm pool unless a test asks for one: sandboxes started ahead would skew what others measure.
  const loaded = loadConfig({ CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous', PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, CODEYARD_CACHE: process.env.CODEYARD_CACHE, CODE_SERVER_BIN: process.env.CODE_SERVER_BIN, PORT: String(port), CODEYARD_DATA: dataDir, ...options.env });
  // What the environment cannot say: durations shorter than its units (idle stop in milliseconds).
  const config = Object.freeze({ ...loaded, ...options.config });
  const codeyard = await createCodeyard(config, { log: pino({ level: process.env.CODEYARD_TEST_LOG ?? 'warn' }) });
  const { portal, store, workspaces, runtime } = codeyard;
  try {
    await codeyard.listen(port, '127.0.0.1');
    await codeyard.startWarmPool(options.warmStacks);
  } catch (err) {
    await codeyard.close().catch(() => undefined);
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
      await codeyard.close();
      // A server keeps its shared volume mounted across restarts; a test's data folder is thrown away.
      await unmountVolume(sharedDir(path.join(dataDir, 'repls'))).catch(() => undefined);
      if (!options.dataDir) removeUnlessMounted(dataDir);
    },
  };
}

/**
 * Removes a test's data folder (repls' copies take hundreds of MB each; runs left them by the
 * dozen), but never one with anything still mounted below it: a recursive delete would go
 * through a bind mount into what it shows.
 */
function removeUnlessMounted(dir: string): void {
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '');
  if (mounts.some((m) => m === dir || m.startsWith(`${dir}/`))) return;
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
}
