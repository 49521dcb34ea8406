import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import type { Role } from '@codeyard/common/api/auth';
import { Accounts } from '../../src/accounts/accounts.js';
import { newId } from '../../src/accounts/secret-tokens.js';
import { newClassId, newStudentId } from '../../src/classes/class-ids.js';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import type { StudentRecord } from '../../src/db/class-repository.js';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { ApiTokens } from '../../src/tokens/api-tokens.js';
import { dropSchema, quietLog, runSchema } from '../db/db-test-helpers.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';

export const POSTGRES_URL = process.env.CODEYARD_TEST_DATABASE_URL;
/** SQLite always; PostgreSQL when CODEYARD_TEST_DATABASE_URL names a server. */
export const DIALECTS = [
  { name: 'SQLite' as const, skip: undefined },
  { name: 'PostgreSQL' as const, skip: POSTGRES_URL ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set' },
];

export interface User {
  id: string;
  token: string;
}

/** A class with two joined students, each with their own repl, made straight in the database. */
export interface WorkPortal {
  codeyard: Codeyard<MemoryRuntime>;
  database: Database;
  dataDir: string;
  /** The PostgreSQL schema (another portal on the same database opens it too); unused on SQLite. */
  schema: string;
  teacher: User;
  otherTeacher: User;
  admin: User;
  alice: User;
  bob: User;
  classId: string;
  students: { alice: StudentRecord; bob: StudentRecord };
  call(bearer: string, method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * The real portal (createCodeyard) on the real database (SQLite in a temporary folder or a
 * PostgreSQL schema of its own) and the real fs store, with the MemoryRuntime double for repls
 * (nothing here starts a sandbox). The class is inserted with the classes part's repository, as
 * its provisioning would leave it once both students joined.
 */
export async function startWorkPortal(dialect: 'SQLite' | 'PostgreSQL', names = { alice: 'Alice', bob: 'Bob' }): Promise<WorkPortal> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-work-'));
  const schema = runSchema('work_api');
  const database = dialect === 'PostgreSQL' ? await openDatabase({ url: POSTGRES_URL, dataDir, schema, log: quietLog }) : await openDatabase({ dataDir, log: quietLog });
  const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '8080', CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'accounts' });
  const codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime(), signingKey: Buffer.alloc(32, 7), log: pino({ level: 'silent' }), database });
  const call: WorkPortal['call'] = (bearer, method, url, body) =>
    codeyard.portal.app.inject({ method, url, headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

  const user = async (role: Role): Promise<User> => {
    const created = await database.accounts.insertUser({ id: newId('u'), createdAt: new Date().toISOString(), email: `${role}${++counter}@example.test`, emailVerified: true, name: `${role} ${counter}`, role });
    assert.ok(created !== 'email-taken');
    const tokens = new ApiTokens({ repository: database.apiTokens, accounts: new Accounts(database.accounts) });
    const scopes = role === 'admin' ? (['read', 'write', 'admin'] as const) : (['read', 'write'] as const);
    return { id: created.id, token: (await tokens.issue(created.id, 'test', [...scopes], Date.now() + 24 * 3600_000)).token };
  };
  const [admin, teacher, otherTeacher, alice, bob] = [await user('admin'), await user('teacher'), await user('teacher'), await user('member'), await user('member')];
  const replOf = async (u: User): Promise<string> => {
    const res = await call(u.token, 'POST', '/api/repls', { stack: 'node', name: 'class work' });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };
  const classId = newClassId();
  const now = new Date().toISOString();
  const row = (name: string, u: User, replId: string): StudentRecord => ({ id: newStudentId(), classId, name, accountId: u.id, replId, joinedAt: now, createdAt: now });
  const students = { alice: row(names.alice, alice, await replOf(alice)), bob: row(names.bob, bob, await replOf(bob)) };
  await database.classes.insert({ id: classId, teacher: teacher.id, name: 'Algorithms 1', starter: { stack: 'node' }, limits: {}, createdAt: now }, [students.alice, students.bob]);

  return {
    codeyard,
    database,
    dataDir,
    schema,
    teacher,
    otherTeacher,
    admin,
    alice,
    bob,
    classId,
    students,
    call,
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
