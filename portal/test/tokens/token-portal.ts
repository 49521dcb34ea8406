import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { dropSchema, quietLog, runSchema } from '../db/db-test-helpers.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';

export const POSTGRES_URL = process.env.CODEYARD_TEST_DATABASE_URL;
export const NO_POSTGRES = POSTGRES_URL ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set: the PostgreSQL run needs a server (.ci/postgres.sh starts one and prints the URL)';

/** The two databases the token routes are tested on. */
export const DIALECTS = [
  { name: 'SQLite', skip: undefined },
  { name: 'PostgreSQL', skip: NO_POSTGRES },
] as const;

export interface Caller {
  /** `Authorization: Bearer` (an API token, or a legacy `cy_` token). */
  bearer?: string;
  /** The portal cookie (a browser), with the portal's Origin unless `origin` says otherwise. */
  cookie?: string;
  /** The Origin header; null: none. Defaults to the portal's own for a cookie caller. */
  origin?: string | null;
  /** The client address (rate limits are per address). */
  address?: string;
}

export interface TokenPortal {
  codeyard: Codeyard<MemoryRuntime>;
  database: Database;
  origin: string;
  /** The clock the portal's tokens and device sign-ins read; tests move it. */
  clock: { now: number };
  call(caller: Caller, method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  /** A new anonymous account's `cy_` token: today's signed-in user (the cookie a browser holds). */
  session(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real portal (createCodeyard) with the runtime and store doubles (MemoryRuntime,
 * MemoryStore: no repl starts here) and the real database, SQLite in a temporary folder or a
 * PostgreSQL schema of its own, called through Fastify's inject.
 */
export async function startTokenPortal(dialect: 'SQLite' | 'PostgreSQL', env: Record<string, string> = {}): Promise<TokenPortal> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-tokens-'));
  const schema = runSchema('token_api');
  const database = dialect === 'PostgreSQL' ? await openDatabase({ url: POSTGRES_URL, dataDir, schema, log: quietLog }) : await openDatabase({ dataDir, log: quietLog });
  const clock = { now: Date.now() };
  const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '8080', CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous', ...env });
  const codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime(), store: new MemoryStore(), signingKey: Buffer.alloc(32, 5), log: pino({ level: 'silent' }), database, clock: () => clock.now });
  const origin = codeyard.portal.origin;
  const call: TokenPortal['call'] = (caller, method, url, body) => {
    const headers: Record<string, string> = {};
    if (caller.bearer) headers.authorization = `Bearer ${caller.bearer}`;
    if (caller.cookie) headers.cookie = `codeyard_token=${caller.cookie}`;
    const origin_ = caller.origin === undefined ? (caller.cookie ? origin : undefined) : caller.origin;
    if (origin_ !== null && origin_ !== undefined) headers.origin = origin_;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return codeyard.portal.app.inject({ method, url, headers, remoteAddress: caller.address ?? '127.0.0.1', ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  };
  return {
    codeyard,
    database,
    origin,
    clock,
    call,
    async session() {
      const res = await call({}, 'POST', '/api/session');
      assert.equal(res.statusCode, 201, res.body);
      return res.json<{ token: string }>().token;
    },
    async close() {
      await codeyard.close();
      if (dialect === 'PostgreSQL') await dropSchema(POSTGRES_URL, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Asserts an error answer: its status, code and (when given) what its message says. */
export function assertError(res: LightMyRequestResponse, status: number, code: string, message?: RegExp, what = ''): void {
  assert.equal(res.statusCode, status, `${what} ${res.body}`);
  assert.equal(res.json().error.code, code, `${what} ${res.body}`);
  if (message) assert.match(res.json().error.message, message, `${what} ${res.body}`);
}
