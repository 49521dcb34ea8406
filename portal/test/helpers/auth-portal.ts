import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { dropSchema, quietLog, runSchema } from '../db/db-test-helpers.js';
import { freePort, type Reply, request } from './http.js';
import { TEMPLATES_DIR } from './memory-repls.js';

/** Where a sign-in test keeps its records: SQLite in the data folder, or a PostgreSQL schema of its own. */
export interface RecordsTarget {
  name: string;
  /** The database for a portal on `dataDir` (undefined: the portal opens SQLite there itself). */
  open(dataDir: string): Promise<Database | undefined>;
  drop(): Promise<void>;
}

/** SQLite always; PostgreSQL too when CODEYARD_TEST_DATABASE_URL names one (as the repository suite). */
export function recordsTargets(label: string): RecordsTarget[] {
  const targets: RecordsTarget[] = [{ name: 'SQLite', open: async () => undefined, drop: async () => undefined }];
  const url = process.env.CODEYARD_TEST_DATABASE_URL;
  if (url) {
    const schema = runSchema(label);
    targets.push({ name: 'PostgreSQL', open: (dataDir) => openDatabase({ url, dataDir, schema, log: quietLog }), drop: () => dropSchema(url, schema) });
  }
  return targets;
}

export interface CallOptions {
  body?: unknown;
  /** The portal cookie's value (sent as the browser would). */
  cookie?: string;
  /** Sent as `Origin: <portal>` unless false (a browser on the portal's own pages sends it). */
  sameOrigin?: boolean;
  headers?: Record<string, string>;
}

export interface AuthPortal {
  codeyard: Codeyard<MemoryRuntime>;
  port: number;
  origin: string;
  dataDir: string;
  /** One HTTP request over loopback, as a browser on the portal's page would send it. */
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

/**
 * The real portal (createCodeyard, listening on loopback) with the MemoryRuntime double (no
 * sandboxes: sign-in never starts one) and the fs store and records in `dataDir` (kept when
 * given, so a second portal can open the same data folder).
 */
export async function startAuthPortal(env: Record<string, string>, options: { dataDir?: string; records?: RecordsTarget } = {}): Promise<AuthPortal> {
  const port = await freePort();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cy-auth-'));
  const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', ...env });
  const database = await options.records?.open(dataDir);
  // The double reports the configured memory limit of a repl as a real runtime does (GET /api/runtime: the class form's maximum).
  const codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime({ memoryLimitBytes: config.limitMemoryBytes }), signingKey: Buffer.alloc(32, 9), log: pino({ level: 'silent' }), ...(database ? { database } : {}) });
  await codeyard.listen(port, '127.0.0.1');
  const origin = codeyard.portal.origin;
  return {
    codeyard,
    port,
    origin,
    dataDir,
    call(method, apiPath, call = {}) {
      const headers: Record<string, string> = { ...(call.sameOrigin === false ? {} : { origin }), ...call.headers };
      if (call.cookie !== undefined) headers.cookie = `codeyard_token=${call.cookie}`;
      if (call.body !== undefined) headers['content-type'] ??= 'application/json';
      return request(port, { method, path: apiPath, headers, ...(call.body === undefined ? {} : { body: typeof call.body === 'string' ? call.body : JSON.stringify(call.body) }) });
    },
    close: () => codeyard.close(),
  };
}

/** The session cookie a reply sets: its value and its attributes (lowercased names). */
export function setCookie(reply: Reply, name = 'codeyard_token'): { value: string; attributes: Record<string, string | true> } {
  const header = [reply.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${name}=`));
  assert.ok(header, `the reply sets ${name}: ${JSON.stringify(reply.headers['set-cookie'])} ${reply.body}`);
  const [pair, ...rest] = header.split(';').map((p) => p.trim());
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const [key, value] = part.split('=');
    attributes[key!.toLowerCase()] = value ?? true;
  }
  return { value: pair!.slice(name.length + 1), attributes };
}

/** Asserts an error answer: status, code and what its message says. */
export function assertError(reply: Reply, status: number, code: string, message?: RegExp): void {
  assert.equal(reply.status, status, reply.body);
  assert.equal(reply.json().error.code, code, reply.body);
  if (message) assert.match(reply.json().error.message, message);
}
