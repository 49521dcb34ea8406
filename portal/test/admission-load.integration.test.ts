import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STATUS_PATH } from '@codeyard/proxy/access-policy';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

const MiB = 1024 * 1024;
const USERS = 6;

interface AdminRepl {
  id: string;
  owner: string;
  status: string;
  usage?: { memoryBytes: number; cpuPercent?: number };
  oomKills?: number;
}

/**
 * The load test of admission control, on the real thing (bubblewrap sandboxes with cgroups, real
 * code-server and agent, the proxy): a server made small (1000 MiB for repls, a start counted at
 * 300 MiB until it settles) and six users who all press Start at once. Every one is either running
 * or told it waits, with its place; the waiting ones start by themselves as others stop; the kernel
 * kills nothing (each repl cgroup's oom_kill stays 0); every file written is there after the stop.
 */
describe('admission under load (process runtime, bubblewrap, cgroups)', () => {
  let t: TestPortal;
  const users: Array<{ token: string; id: string; note: string }> = [];

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_CAPACITY_MEMORY_MB: '1000', CODEYARD_REPL_MEMORY_ESTIMATE_MB: '300', CODEYARD_RESERVE_MEMORY_MB: '512' } });
    for (let i = 0; i < USERS; i++) {
      const token = await t.newToken();
      const res = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: `load ${i}` });
      assert.equal(res.status, 201, res.body);
      users.push({ token, id: res.json<{ id: string }>().id, note: `written in repl ${i} at ${Date.now()}\n` });
    }
  });
  after(async () => {
    await t?.close();
  });

  const admin = async (): Promise<{ repls: AdminRepl[]; queue: Array<{ replId: string; position: number }>; use: { chargedBytes: number } }> => {
    const res = await t.api(fs.readFileSync(path.join(t.dataDir, 'admin-token'), 'utf8').trim(), 'GET', '/api/admin/server');
    assert.equal(res.status, 200, res.body);
    return res.json();
  };
  const statusOf = async (u: { token: string; id: string }): Promise<{ status: string; queue?: { position: number } }> => (await t.api(u.token, 'GET', `/api/repls/${u.id}`)).json();

  /** Writes the user's note into its running repl, and checks the kernel killed nothing in any repl so far. */
  const writeNoteAndCheck = async (u: (typeof users)[number]): Promise<void> => {
    const res = await t.api(u.token, 'PUT', `/api/repls/${u.id}/files/note.txt`, u.note);
    assert.ok(res.status === 201 || res.status === 200, res.body);
    const server = await admin();
    for (const repl of server.repls.filter((r) => r.status === 'running')) {
      assert.equal(repl.oomKills, 0, `no OOM kill in ${repl.id} (read from its memory cgroup)`);
      assert.ok((repl.usage?.memoryBytes ?? 0) > 10 * MiB, `${repl.id} is measured from its cgroup: ${JSON.stringify(repl.usage)}`);
    }
  };

  it('runs or queues every start with a clear answer, starts the queued ones as others stop, and loses nothing', async () => {
    // Everyone at once.
    const answers = await Promise.all(users.map((u) => t.api(u.token, 'POST', `/api/repls/${u.id}/start`)));
    const running: typeof users = [];
    const queued: typeof users = [];
    answers.forEach((res, i) => {
      if (res.status === 200) return void running.push(users[i]!);
      assert.equal(res.status, 503, `start ${i}: ${res.status} ${res.body}`);
      assert.equal(res.json().error.code, 'SERVER_FULL');
      assert.match(res.json().error.message, /this server is full: your repl is #\d+ in line/);
      assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After');
      queued.push(users[i]!);
    });
    // 1000 MiB holds three starts counted at 300 MiB each: the other three wait.
    assert.equal(running.length, 3, `admitted: ${running.length}`);
    assert.equal(queued.length, USERS - 3);
    const places = await Promise.all(queued.map(async (u) => (await statusOf(u)).queue?.position));
    assert.deepEqual([...places].sort(), [1, 2, 3], 'each waiting repl has its own place');

    // The owner of a waiting repl who opens it meets the full-server page, with the place.
    const waiting = queued[0]!;
    const link = new URL((await t.api(waiting.token, 'POST', `/api/repls/${waiting.id}/ide-link`, {})).json<{ url: string }>().url);
    const signIn = await request(t.port, { host: link.host, path: link.pathname + link.search });
    assert.equal(signIn.status, 302, signIn.body);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const page = await request(t.port, { host: link.host, path: '/', headers: { cookie, accept: 'text/html' } });
    assert.equal(page.status, 503);
    assert.match(page.body, /This server is full/);
    assert.match(page.body, /You are #\d in line \(of \d\)/);
    const status = await request(t.port, { host: link.host, path: STATUS_PATH, headers: { cookie } });
    assert.ok(status.json().queue.position >= 1, status.body);

    for (const u of running) await writeNoteAndCheck(u);

    // Room appears as running repls stop: the first in line starts by itself each time.
    const toStop = [...running];
    const started = new Set(running.map((u) => u.id));
    for (let round = 0; round < USERS && started.size < USERS; round++) {
      const leaving = toStop.shift()!;
      const before = (await admin()).repls.find((r) => r.id === leaving.id);
      assert.equal(before?.oomKills, 0, 'no OOM kill before the stop');
      assert.equal((await t.api(leaving.token, 'POST', `/api/repls/${leaving.id}/stop`)).status, 200);
      const next = await eventually(
        async () => {
          for (const u of queued) if (!started.has(u.id) && (await statusOf(u)).status === 'running') return u;
          return undefined;
        },
        'a waiting repl starts by itself',
        180_000,
      );
      started.add(next.id);
      toStop.push(next);
      await writeNoteAndCheck(next);
    }
    assert.equal(started.size, USERS, 'every repl ran');
    // The waiting page's poll now says running (and the page reloads into the IDE).
    const woke = await request(t.port, { host: link.host, path: STATUS_PATH, headers: { cookie } });
    assert.equal(woke.json().status, 'running', woke.body);
    assert.deepEqual((await admin()).queue, [], 'nobody is left waiting');
    // CPU comes from two readings of each repl's CPU-time counter (cgroup v1 cpuacct or v2 cpu.stat)
    // at least a second apart; with warm starts the whole run above can take under a second.
    const server = await eventually(
      async () => {
        const now = await admin();
        return now.repls.some((r) => typeof r.usage?.cpuPercent === 'number') ? now : undefined;
      },
      'CPU shares are measured',
      10_000,
    );
    process.stderr.write(`[admission load] running repls (cgroup working set, CPU): ${server.repls.map((r) => `${Math.round((r.usage?.memoryBytes ?? 0) / MiB)} MiB ${r.usage?.cpuPercent ?? '-'} %`).join(', ')}; charged ${Math.round(server.use.chargedBytes / MiB)} MiB of 1000\n`);

    // Stop the rest; every note is in the store.
    for (const u of toStop) assert.equal((await t.api(u.token, 'POST', `/api/repls/${u.id}/stop`)).status, 200);
    for (const u of users) {
      const res = await t.api(u.token, 'GET', `/api/repls/${u.id}/files/note.txt`);
      assert.equal(res.status, 200, `${u.id}: ${res.body}`);
      assert.equal(res.body, u.note, `the note of ${u.id} is intact`);
    }
    // And a stopped repl started again finds it in its workspace.
    const again = users[0]!;
    assert.equal((await t.api(again.token, 'POST', `/api/repls/${again.id}/start`)).status, 200);
    const exec = await t.api(again.token, 'POST', `/api/repls/${again.id}/exec`, { command: 'cat note.txt' });
    assert.equal(exec.json().stdout, again.note);
  });
});

/**
 * The OOM figure the load test relies on is real: a repl that outgrows its own memory limit has
 * the kernel kill inside it, and the admin view says so (each repl cgroup's oom_kill counter).
 */
describe('OOM kills are seen (process runtime, cgroups)', () => {
  let t: TestPortal;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_LIMIT_MEMORY_MB: '256' } });
  });
  after(async () => {
    await t?.close();
  });

  it("reports a kill inside a repl's memory cgroup", async () => {
    const token = await t.newToken();
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<{ id: string }>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const hog = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'node -e "const a=[]; for (let i = 0; i < 2000; i++) a.push(Buffer.alloc(1 << 20, 1))"', timeoutMs: 60_000 });
    assert.notEqual(hog.json().exitCode, 0, `the hog was stopped: ${hog.body}`);
    const adminToken = fs.readFileSync(path.join(t.dataDir, 'admin-token'), 'utf8').trim();
    const server = (await t.api(adminToken, 'GET', '/api/admin/server')).json<{ repls: AdminRepl[] }>();
    const seen = server.repls.find((r) => r.id === repl.id);
    assert.ok((seen?.oomKills ?? 0) >= 1, `the kill is counted: ${JSON.stringify(seen)}`);
  });
});
