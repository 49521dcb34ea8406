import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClassDetail, Joined } from '@codeyard/common/api/classes';
import { Accounts } from '../../src/accounts/accounts.js';
import { newId } from '../../src/accounts/secret-tokens.js';
import { ApiTokens } from '../../src/tokens/api-tokens.js';
import { request } from '../../test/helpers/http.js';
import { startTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import type { Recorder, Suite } from '../harness.js';

/** Students of the class, all opening their IDE at once: the issue's figure. */
const STUDENTS = 30;
/** Warm node sandboxes kept ready (CODEYARD_WARM_POOL) unless a scenario sizes the pool for the class. */
const WARM = 2;
/** Longest one student waits for their IDE before it counts as an error. */
const OPEN_BUDGET_MS = 10 * 60_000;
const POLL_MS = 500;

interface Outcome {
  /** From the first visit to code-server answering through the proxy. */
  ms?: number;
  /** Was told it waits in line ("this server is full: … #n in line") at some point. */
  queued: boolean;
  /** Its place when it stopped waiting (with `stopAtQueue`: being told the place is the answer). */
  place?: number;
  /** What went wrong, if it never opened. */
  error?: string;
  /** Its start took a warm sandbox. */
  warm?: boolean;
}

async function tokenFor(t: TestPortal, role: 'teacher' | 'member', i: number): Promise<string> {
  const database = t.portal.database;
  const account = await database.accounts.insertUser({ id: newId('u'), createdAt: new Date().toISOString(), email: `${role}${i}@bench.test`, emailVerified: true, name: `${role} ${i}`, role });
  if (account === 'email-taken') throw new Error(`${role}${i} exists already`);
  return (await new ApiTokens({ repository: database.apiTokens, accounts: new Accounts(database.accounts) }).issue(account.id, 'bench', ['read', 'write'], Date.now() + 3600_000)).token;
}

/**
 * One student opening their IDE as a browser does: the IDE link's ticket becomes the host cookie,
 * the first visit wakes the stopped repl (the proxy's "starting" page, or "this server is full:
 * you are #n in line"), then the page polls until VS Code answers. Only HTTP: 30 Chromium pages
 * on this 2-core machine would measure Chromium.
 */
async function openIde(t: TestPortal, token: string, replId: string, stopAtQueue: boolean): Promise<Outcome> {
  const link = new URL((await t.api(token, 'POST', `/api/repls/${replId}/ide-link`)).json<{ url: string }>().url);
  const signIn = await request(t.port, { host: link.host, path: `${link.pathname}${link.search}` });
  const cookie = String(signIn.headers['set-cookie'] ?? '').split(';')[0];
  if (!cookie) return { queued: false, error: `no host cookie (${signIn.status})` };
  const host = `${replId}.localhost:${t.port}`;
  const t0 = performance.now();
  let queued = false;
  const first = await request(t.port, { host, path: '/', headers: { cookie, accept: 'text/html' } });
  if (first.status !== 200 && first.status !== 503) return { queued, error: `first visit: ${first.status}` };
  // The page's own script holds the words too: a place is a number in the text shown.
  const shown = /#(\d+) in line/.exec(first.body);
  if (shown) {
    queued = true;
    if (stopAtQueue) return { queued, place: Number(shown[1]) };
  }
  while (performance.now() - t0 < OPEN_BUDGET_MS) {
    const res = await request(t.port, { host, path: '/healthz', headers: { cookie } });
    if (res.status === 200) return { ms: performance.now() - t0, queued };
    if (res.status !== 503) return { queued, error: `${res.status} ${res.body.slice(0, 200)}` };
    const code = (res.json() as { error?: { code?: string; message?: string } }).error;
    if (code?.code === 'SERVER_FULL') {
      const place = /#(\d+) in line/.exec(code.message ?? '');
      if (!place) return { queued, error: `a full server without a place: ${res.body}` };
      queued = true;
      if (stopAtQueue) return { queued, place: Number(place[1]) };
    } else if (code?.code !== 'UNAVAILABLE') return { queued, error: res.body.slice(0, 200) };
    await sleep(POLL_MS);
  }
  return { queued, error: `not open after ${OPEN_BUDGET_MS / 60_000} min` };
}

/**
 * A class of 30 made through the API (node starter), every student joined by their link, then
 * all 30 open their IDE at the same moment on the real thing (process runtime: bubblewrap,
 * code-server, the agent; the proxy), with a warm pool (its sandboxes go to the first class copies
 * to start: they never ran) and the machine's admission. Each one either opens, or is told its
 * place in line and opens once room appears; an error is any other answer, or no IDE within the
 * budget. Warm and cold starts are told apart by the start's first step.
 */
/** The two machines the class meets: this one as it is, and one made small so admission turns starts away. */
const SCENARIOS: Array<{ label: string; env: Record<string, string>; stopAtQueue: boolean; warm?: number }> = [
  { label: "this machine's capacity", env: {}, stopAtQueue: false },
  { label: 'capacity made 4 GiB', env: { CODEYARD_CAPACITY_MEMORY_MB: '4096' }, stopAtQueue: true },
  // A server expecting a class: the pool sized for a third of it ahead (each sandbox an idle repl's memory).
  { label: 'warm pool of 10', env: {}, stopAtQueue: false, warm: 10 },
];

export const classOpenSuite: Suite = {
  name: 'class-open',
  description: `${STUDENTS} students of a class opening their IDE at once (warm pool of ${WARM}; admission on this machine's capacity, then on 4 GiB; then a warm pool of 10)`,
  async run(r: Recorder) {
    for (const scenario of SCENARIOS) await openAll(r, scenario);
  },
};

async function openAll(r: Recorder, scenario: (typeof SCENARIOS)[number]): Promise<void> {
  const warmSize = scenario.warm ?? WARM;
  const t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts', CODEYARD_WARM_POOL: String(warmSize), CODEYARD_WARM_POOL_MAX_LOAD: '100000', ...scenario.env }, warmStacks: ['node'] });
  try {
    const teacher = await tokenFor(t, 'teacher', 0);
    const csv = `name\n${Array.from({ length: STUDENTS }, (_, i) => `Student ${i + 1}`).join('\n')}\n`;
    const made = await t.api(teacher, 'POST', '/api/classes', { name: 'Bench class', starter: { stack: 'node' }, roster: { csv } });
    if (made.status !== 201) throw new Error(`class: ${made.status} ${made.body}`);
    const students = await Promise.all(
      made.json<ClassDetail>().students.map(async (row, i) => {
        const token = await tokenFor(t, 'member', i + 1);
        const joined = await t.api(token, 'POST', '/api/join', { link: row.link });
        if (joined.status !== 200) throw new Error(`join ${i + 1}: ${joined.status} ${joined.body}`);
        return { token, replId: joined.json<Joined>().replId };
      }),
    );
    // The pool fills in the background (one sandbox at a time): the class opens once it is full.
    for (let n = 0; n < 3000 && (t.runtime.warmCounts().node ?? 0) < warmSize; n++) await sleep(100);
    r.say(`${scenario.label}: ${STUDENTS} students joined; warm node sandboxes ready: ${t.runtime.warmCounts().node ?? 0}; opening all at once`);
    // A start's first step tells how it went: a warm sandbox only restores files, a cold one prepares everything.
    const warmStarts = new Set<string>();
    const seen = new Set<string>();
    const unwatch = t.runtime.watch((id, status) => {
      if (status.state !== 'starting' || seen.has(id)) return;
      seen.add(id);
      if (status.step === 'restoring files') warmStarts.add(id);
    });
    const t0 = performance.now();
    const outcomes = await Promise.all(students.map((s) => openIde(t, s.token, s.replId, scenario.stopAtQueue).then((o) => ({ ...o, warm: warmStarts.has(s.replId) })).catch((err: unknown) => ({ queued: false, error: String(err) }) as Outcome)));
    const all = (performance.now() - t0) / 1000;
    unwatch();
    const opened = outcomes.filter((o) => o.ms !== undefined);
    const waiting = outcomes.filter((o) => o.place !== undefined);
    const errors = outcomes.filter((o) => o.error);
    for (const o of errors.slice(0, 5)) r.say(`error: ${o.error}`);
    r.say(`${opened.length} opened, ${waiting.length} told their place (${waiting.map((o) => o.place).sort((a, b) => a! - b!).join(' ')}), ${errors.length} errors, in ${all.toFixed(1)} s`);
    const tag = `(${scenario.label})`;
    r.figure(`students whose IDE opened, of ${STUDENTS} at once ${tag}`, 'students', [opened.length], scenario.stopAtQueue ? {} : { target: ['>=', STUDENTS] });
    if (scenario.stopAtQueue) r.figure(`students told their place in line instead ${tag}`, 'students', [waiting.length], { target: ['>=', STUDENTS - opened.length] });
    r.figure(`errors: any other answer, or no IDE in 10 min ${tag}`, 'students', [errors.length], { target: ['<=', 0] });
    if (opened.length) r.figure(`first visit → IDE answering through the proxy, per student ${tag}`, 'ms', opened.map((o) => o.ms!));
    r.figure(`starts served by a warm sandbox, of ${STUDENTS} ${tag}`, 'students', [warmStarts.size]);
    const warm = opened.filter((o) => o.warm);
    const cold = opened.filter((o) => !o.warm);
    if (warm.length) r.figure(`first visit → IDE answering, warm starts ${tag}`, 'ms', warm.map((o) => o.ms!));
    if (cold.length) r.figure(`first visit → IDE answering, cold starts ${tag}`, 'ms', cold.map((o) => o.ms!));
    r.figure(`every student answered ${tag}`, 's', [all]);
  } finally {
    await t.close();
    // Thirty volumes were just let go: a folder may still be busy for a moment (EBUSY), which rm retries.
    fs.rmSync(t.dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 500 });
  }
}
