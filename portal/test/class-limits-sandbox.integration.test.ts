import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, Joined } from '@codeyard/common/api/classes';
import type { ExecResult } from '@codeyard/common/agent/protocol';
import type { ReplView } from '../src/repls/repl-service.js';
import { readPids, replDirs, warmDirs, warmRoot } from '../src/runtime/process/repl-folders.js';
import { ApiTokens } from '../src/tokens/api-tokens.js';
import { eventually } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

const MiB = 1024 * 1024;

/**
 * The memory limit of the cgroup a process is in, read from /sys/fs/cgroup as the kernel keeps
 * it: cgroup v1's memory.limit_in_bytes, or v2's memory.max.
 */
function memoryLimitOf(pid: number): number {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find(([, controllers]) => controllers!.split(',').includes('memory'));
  if (v1) return Number(fs.readFileSync(path.join('/sys/fs/cgroup/memory', v1[2]!, 'memory.limit_in_bytes'), 'utf8'));
  const v2 = lines.find(([level]) => level === '0')!;
  return Number(fs.readFileSync(path.join('/sys/fs/cgroup', v2[2]!, 'memory.max'), 'utf8'));
}

/**
 * A class's per-student memory limit on the real process runtime (bubblewrap sandbox, cgroups,
 * code-server, agent, database and store): a student's repl runs in a cgroup held to the class's
 * limit, a repl of their own to the server's, and a warm sandbox that becomes a class repl is
 * lowered to it.
 */
describe("a class's memory limit in the real sandbox", { timeout: 300_000 }, () => {
  let t: TestPortal;
  let teacher: string;
  let student: string;
  let detail: ClassDetail;
  const root = (): string => path.join(t.dataDir, 'repls');
  const agentPid = async (replId: string): Promise<number> => (await readPids(replDirs(root(), replId)))!.agentPid;
  const ok = async <T>(token: string, method: string, url: string, body?: unknown, status = 200): Promise<T> => {
    const res = await t.api(token, method, url, body);
    assert.equal(res.status, status, `${method} ${url}: ${res.body}`);
    return res.json<T>();
  };

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'invite', CODEYARD_LIMIT_MEMORY_MB: '1024', CODEYARD_REPL_NETWORK: 'none', CODEYARD_WARM_POOL_MAX_LOAD: '100000' } });
    const tokens = new ApiTokens({ repository: t.portal.database.apiTokens, accounts: t.portal.auth.accounts, now: () => Date.now() });
    const tokenOf = async (email: string, role: 'teacher' | 'member'): Promise<string> => {
      const account = await t.portal.auth.accounts.createUser({ email, emailVerified: true, name: email.split('@')[0]!, role, password: 'correct horse battery staple' });
      return (await tokens.issue(account.id, 'test', ['read', 'write'], Date.now() + 3600_000)).token;
    };
    teacher = await tokenOf('tess@example.org', 'teacher');
    student = await tokenOf('ada@example.org', 'member');
    detail = await ok<ClassDetail>(teacher, 'POST', '/api/classes', { name: 'Small', starter: { stack: 'node' }, roster: [{ name: 'Ada', email: 'ada@example.org' }, { name: 'Bo' }], limits: { memoryMb: 512 } }, 201);
  });
  after(() => t?.close());

  it("runs a joined student's repl in a cgroup held to the class's 512 MiB, and the student's own repl at the server's 1024 MiB", async (ctx) => {
    if (!t.runtime.describe().limits.memory.enforced) return ctx.skip(`no memory cgroup here: ${t.runtime.describe().limits.memory.reason}`);
    const joined = await ok<Joined>(student, 'POST', '/api/join', { link: detail.students[0]!.link });
    await ok(student, 'POST', `/api/repls/${joined.replId}/start`);
    assert.equal(memoryLimitOf(await agentPid(joined.replId)), 512 * MiB);
    assert.equal((await ok<ReplView>(student, 'GET', `/api/repls/${joined.replId}`)).memoryLimitMb, 512);

    const own = await ok<ReplView>(student, 'POST', '/api/repls', { stack: 'node', name: 'mine' }, 201);
    await ok(student, 'POST', `/api/repls/${own.id}/start`);
    assert.equal(memoryLimitOf(await agentPid(own.id)), 1024 * MiB);

    // The limit holds: 640 MiB of touched memory fits the student's own repl and not the class's.
    const hog = { command: `node -e "const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(10 * 1024 * 1024, 1)); console.log('held', a.length)"`, timeoutMs: 60_000 };
    const fits = await ok<ExecResult>(student, 'POST', `/api/repls/${own.id}/exec`, hog);
    assert.equal(fits.stdout.trim(), 'held 64', fits.stderr);
    const killed = await ok<ExecResult>(student, 'POST', `/api/repls/${joined.replId}/exec`, hog);
    assert.notEqual(killed.exitCode, 0, 'killed inside its own cgroup');
    assert.doesNotMatch(killed.stdout, /held/);
    assert.equal((await ok<ReplView>(student, 'GET', `/api/repls/${joined.replId}`)).status, 'running', 'only the hog died: the repl runs on');
    for (const id of [joined.replId, own.id]) await ok(student, 'POST', `/api/repls/${id}/stop`);
  });

  it('lowers a warm sandbox (started at the server’s limit) to the class’s limit when it becomes a class repl', async (ctx) => {
    if (!t.runtime.describe().limits.memory.enforced) return ctx.skip('no memory cgroup here');
    t.runtime.warmPool([t.portal.repls.specOf((await t.portal.database.repls.get(detail.students[1]!.replId))!).manifest], 1, { maxLoad: 100_000 });
    await eventually(async () => t.runtime.warmCounts().node === 1, 'a warm node sandbox', 120_000);
    const [warmId] = fs.readdirSync(warmRoot(root())).filter((name) => fs.existsSync(warmDirs(root(), name).agentSocket));
    const warmPid = (await readPids(warmDirs(root(), warmId!)))!.agentPid;
    assert.equal(memoryLimitOf(warmPid), 1024 * MiB, 'a warm sandbox has the server’s limit');
    // What a start from the pool does (the repl service takes and binds it): the class repl becomes its.
    const bo = detail.students[1]!;
    t.runtime.adoptWarm(t.runtime.takeWarm('node')!, bo.replId);
    t.runtime.warmPool([], 0);
    await ok(teacher, 'POST', `/api/classes/${detail.id}/start`, { students: [bo.id] }, 202);
    await eventually(async () => t.runtime.status(bo.replId).state === 'running', "Bo's repl runs", 120_000);
    const pids = (await readPids(replDirs(root(), bo.replId)))!;
    assert.equal(pids.sandbox, warmId, 'the warm sandbox became the repl');
    assert.equal(memoryLimitOf(pids.agentPid), 512 * MiB, 'lowered to the class’s limit, live');
    await ok(teacher, 'POST', `/api/classes/${detail.id}/stop`, { students: [bo.id] }, 202);
    await eventually(async () => t.runtime.status(bo.replId).state === 'stopped', "Bo's repl stops", 60_000);
  });
});
