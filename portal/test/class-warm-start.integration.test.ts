import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, Joined } from '@codeyard/common/api/classes';
import { requestOverSocket } from '@codeyard/common/http-client';
import { Accounts } from '../src/accounts/accounts.js';
import { newId } from '../src/accounts/secret-tokens.js';
import type { ReplView } from '../src/repls/repl-service.js';
import { replDirs, warmDirs, warmRoot } from '../src/runtime/process/repl-folders.js';
import { ApiTokens } from '../src/tokens/api-tokens.js';
import { eventually } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * A class copy (made by server-side copy, never started) opened while a warm node sandbox is
 * ready: the real process runtime (bubblewrap, code-server, the agent). Its start takes the warm
 * sandbox and only restores the copy's own files; the agent, which the Codeyard extension asks
 * (code-server started before the repl existed), knows the repl's name, class and links. A stack
 * with no warm sandbox, and a repl that ran before, start cold as before.
 */
describe('class copies started from the warm pool', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let student: string;
  let replId: string;
  const root = (): string => path.join(t.dataDir, 'repls');
  /** Warm sandboxes up and answering, by their own ids. */
  const warmIds = (): string[] => (fs.existsSync(warmRoot(root())) ? fs.readdirSync(warmRoot(root())) : []).filter((name) => fs.existsSync(warmDirs(root(), name).agentSocket));
  const ready = (): Promise<unknown> => eventually(async () => t.runtime.warmCounts().node === 1 && warmIds().length === 1, 'a warm node sandbox', 120_000);

  const tokenFor = async (role: 'teacher' | 'member', name: string): Promise<string> => {
    const database = t.portal.database;
    const account = await database.accounts.insertUser({ id: newId('u'), createdAt: new Date().toISOString(), email: `${name}@warm.test`, emailVerified: true, name, role });
    if (account === 'email-taken') throw new Error(`${name} exists already`);
    return (await new ApiTokens({ repository: database.apiTokens, accounts: new Accounts(database.accounts) }).issue(account.id, 'test', ['read', 'write'], Date.now() + 3600_000)).token;
  };

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts', CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000', CODEYARD_SYNC_DEBOUNCE_MS: '200' }, warmStacks: ['node'] });
    const teacher = await tokenFor('teacher', 'teacher');
    const made = await t.api(teacher, 'POST', '/api/classes', { name: 'Warm class', starter: { stack: 'node' }, roster: { csv: 'name\nAda Lovelace\n' } });
    assert.equal(made.status, 201, made.body);
    student = await tokenFor('member', 'ada');
    const joined = await t.api(student, 'POST', '/api/join', { link: made.json<ClassDetail>().students[0]!.link });
    assert.equal(joined.status, 200, joined.body);
    replId = joined.json<Joined>().replId;
    // The copy's own file, written while it is stopped (into its stored workspace): not the template's.
    assert.equal((await t.api(student, 'PUT', `/api/repls/${replId}/files/mine.txt`, 'only in this copy\n')).status, 201);
  });
  after(async () => {
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it("takes the ready warm sandbox: the pool's count drops, the sandbox becomes the copy's, its own files restored", async () => {
    await ready();
    const [warmId] = warmIds();
    assert.equal(fs.existsSync(replDirs(root(), replId).base), false, 'the copy never ran here');
    const t0 = Date.now();
    const started = await t.api(student, 'POST', `/api/repls/${replId}/start`);
    assert.equal(started.status, 200, started.body);
    process.stdout.write(`# class copy start from the warm pool: ${Date.now() - t0} ms\n`);
    assert.equal(started.json<ReplView>().status, 'running');
    assert.equal(fs.existsSync(warmDirs(root(), warmId!).base), false, "the warm sandbox's folder became the repl's");
    assert.ok(fs.existsSync(replDirs(root(), replId).pidsFile), "the repl's folder, with the warm sandbox's processes");
    assert.ok(!warmIds().includes(warmId!), 'no longer in the pool');
    const exec = (await t.api(student, 'POST', `/api/repls/${replId}/exec`, { command: 'cat mine.txt && test -f index.js && echo "id=$CODEYARD_REPL_ID"' })).json<{ stdout: string; stderr: string }>();
    assert.equal(exec.stdout, `only in this copy\nid=${replId}\n`, exec.stderr);
  });

  it('tells the IDE the repl it became: its name, its class, its preview and the portal (what the extension reads from the agent)', async () => {
    const view = (await t.api(student, 'GET', `/api/repls/${replId}`)).json<ReplView>();
    const info = JSON.parse((await requestOverSocket({ socketPath: replDirs(root(), replId).agentSocket, path: '/info' })).body.toString());
    assert.equal(info.replId, replId);
    assert.equal(info.name, view.name);
    assert.equal(info.classroom, 'Warm class');
    assert.equal(info.previewUrl, view.previewUrl);
    assert.match(info.portalUrl, /^http:\/\/localhost:\d+\/$/);
  });

  it('starts a repl that ran before cold (its home and VS Code state are on its own volume), files kept', async () => {
    assert.equal((await t.api(student, 'POST', `/api/repls/${replId}/stop`)).json<ReplView>().status, 'stopped');
    await ready();
    const [warmId] = warmIds();
    assert.equal((await t.api(student, 'POST', `/api/repls/${replId}/start`)).json<ReplView>().status, 'running');
    assert.deepEqual(warmIds(), [warmId], 'the warm sandbox stays in the pool');
    const exec = (await t.api(student, 'POST', `/api/repls/${replId}/exec`, { command: 'cat mine.txt' })).json<{ stdout: string }>();
    assert.equal(exec.stdout, 'only in this copy\n');
    await t.api(student, 'POST', `/api/repls/${replId}/stop`);
  });

  it('starts a repl of a stack without a warm sandbox cold, as before', async () => {
    await ready();
    const [warmId] = warmIds();
    const repl = (await t.api(student, 'POST', '/api/repls', { stack: 'static', name: 'Plain page' })).json<ReplView>();
    const started = await t.api(student, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(started.json<ReplView>().status, 'running', started.body);
    assert.deepEqual(warmIds(), [warmId], "the node sandbox stays in the pool");
    const exec = (await t.api(student, 'POST', `/api/repls/${repl.id}/exec`, { command: 'ls && echo "id=$CODEYARD_REPL_ID"' })).json<{ stdout: string }>();
    assert.match(exec.stdout, new RegExp(`index\\.html[\\s\\S]*id=${repl.id}`));
  });
});
