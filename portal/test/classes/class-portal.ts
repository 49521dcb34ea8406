import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { ClassDetail, StudentRow } from '@codeyard/common/api/classes';
import { createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/open-database.js';
import { MemoryRuntime, type MemoryRuntimeOptions } from '../../src/runtime/memory-runtime.js';
import { FsStore } from '../../src/store/fs-store.js';
import { dropSchema, quietLog, runSchema } from '../db/db-test-helpers.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';
import { makeUser, ok, type TestUser } from '../admin/admin-portal.js';
import { type Caller, POSTGRES_URL, type TokenPortal } from '../tokens/token-portal.js';

export { makeUser, ok, type TestUser };

/**
 * The real portal with the real database (SQLite in a temporary folder, or a PostgreSQL schema of
 * its own) and the real file store (FsStore in a temporary folder), in accounts mode with sign-up
 * by invitation; repls run on MemoryRuntime (the runtime double: nothing is sandboxed here).
 */
export async function startClassPortal(dialect: 'SQLite' | 'PostgreSQL' = 'SQLite', env: Record<string, string> = {}, runtimeOptions: MemoryRuntimeOptions = {}): Promise<TokenPortal & { runtime: MemoryRuntime; storeDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-classes-'));
  const storeDir = path.join(dataDir, 'store');
  const schema = runSchema('classes_api');
  const database = dialect === 'PostgreSQL' ? await openDatabase({ url: POSTGRES_URL, dataDir, schema, log: quietLog }) : await openDatabase({ dataDir, log: quietLog });
  const clock = { now: Date.now() };
  const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '8080', CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'invite', ...env });
  let runtime: MemoryRuntime | undefined;
  const codeyard = await createCodeyard(config, {
    runtime: () => (runtime = new MemoryRuntime(runtimeOptions)),
    store: await FsStore.open(storeDir),
    signingKey: Buffer.alloc(32, 5),
    log: pino({ level: 'silent' }),
    database,
    clock: () => clock.now,
  });
  const origin = codeyard.portal.origin;
  const call: TokenPortal['call'] = (caller: Caller, method, url, body) => {
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
    runtime: runtime!,
    storeDir,
    session: async () => assert.fail('no anonymous sessions in accounts mode'),
    async close() {
      await codeyard.close();
      if (dialect === 'PostgreSQL') await dropSchema(POSTGRES_URL, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A class of the teacher's made through the API, with a roster of `names` (emails `<name>@school.test` unless `emails` is false). */
export async function makeClass(t: TokenPortal, teacher: TestUser, names: string[], fields: Record<string, unknown> = {}): Promise<ClassDetail> {
  const roster = names.map((name) => ({ name, ...(fields.emails === false ? {} : { email: `${name.toLowerCase()}@school.test` }) }));
  const { emails: _, ...rest } = fields;
  return ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'POST', '/api/classes', { name: 'Intro', starter: { stack: 'node' }, roster, ...rest }), 201);
}

/** A student account with the roster address of `row`, and the row joined by it through its link. */
export async function joinAs(t: TokenPortal, row: StudentRow): Promise<TestUser> {
  const user = await makeUser(t, 'member');
  await t.database.db.updateTable('accounts').set({ email: row.email ?? null, email_key: row.email?.toLowerCase() ?? null }).where('id', '=', user.id).execute();
  ok(await t.call({ bearer: user.token }, 'POST', '/api/join', { link: row.link }));
  return { ...user, email: row.email ?? user.email };
}

/** A class's live stream as the teacher's dashboard reads it (over HTTP: the portal must listen); `close` ends it. */
export async function classStream(port: number, classId: string, token: string): Promise<{ status: number; rows: StudentRow[]; names: string[]; ended: () => boolean; close(): void }> {
  const rows: StudentRow[] = [];
  const names: string[] = [];
  let ended = false;
  const req = http.get({ host: '127.0.0.1', port, path: `/api/classes/${classId}/events`, headers: { host: 'localhost:8080', authorization: `Bearer ${token}` } });
  const status = await new Promise<number>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('end', () => (ended = true));
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) {
            names.push(name);
            if (name === 'student') rows.push(JSON.parse(data) as StudentRow);
          }
        }
      });
      resolve(res.statusCode ?? 0);
    });
  });
  return { status, rows, names, ended: () => ended, close: () => req.destroy() };
}

/** Waits (bounded: 5 s, every 20 ms) until `check` holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`not within 5 s: ${what}`);
}
