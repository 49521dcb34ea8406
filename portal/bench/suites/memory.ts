import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../../test/helpers/browser.js';
import { startTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import type { Recorder, Suite } from '../harness.js';
import { memoryOf, openWorkbench, pssByRole, replPids, ROLE_NAMES, settledPss } from '../repl-memory.js';

/** New repls measured, one after another: the TypeScript server alone moves a single sample by ±30 MB. */
const ROUNDS = 5;

/** What admission control counts for a repl (its cgroup's working set), in MB; undefined without cgroups. */
async function workingSet(t: TestPortal, id: string): Promise<number | undefined> {
  const bytes = (await t.runtime.usage()).repls.get(id)?.memoryBytes;
  return bytes === undefined ? undefined : bytes / 1024 / 1024;
}

/**
 * The highest working set of a repl while `during` runs, read every second: a repl that has just
 * started counts at least CODEYARD_REPL_MEMORY_ESTIMATE_MB, which should cover this.
 */
async function peakWorkingSet<T>(t: TestPortal, id: string, during: () => Promise<T>): Promise<[number | undefined, T]> {
  let peak: number | undefined;
  const sample = async (): Promise<void> => {
    const now = await workingSet(t, id).catch(() => undefined);
    if (now !== undefined) peak = Math.max(peak ?? 0, now);
  };
  const timer = setInterval(() => void sample(), 1000);
  try {
    const value = await during();
    await sample();
    return [peak, value];
  } finally {
    clearInterval(timer);
  }
}

/**
 * One Node repl's memory, idle and with one browser session, by process, over ROUNDS new repls
 * (cold starts, no warm pool): each started, measured idle after 5 s with nobody connected, then
 * opened in a fresh Chromium context (one user, empty cache) and measured once settled (see
 * settledPss), then closed and deleted. Figures are the sums over the repl's processes (PSS, which
 * shares the code pages of Node and code-server fairly between them), and the same by role
 * (code-server's server, extension host, TypeScript server, …: the README's breakdown). Also the
 * repl's cgroup working set, which is what admission control counts (capacity/), settled and at
 * its highest from the start to settled.
 */
export const memorySuite: Suite = {
  name: 'memory',
  description: `memory of a Node repl (all its processes, RSS and PSS, and PSS by process): idle with nobody connected, and with one browser session; ${ROUNDS} new repls`,
  async run(r: Recorder) {
    const t = await startTestPortal();
    const browser = await launchChromium();
    const idle = { rss: [] as number[], pss: [] as number[] };
    const used = { rss: [] as number[], pss: [] as number[] };
    const rounds: Array<Map<string, number>> = [];
    const cgroup = { idle: [] as number[], settled: [] as number[], peak: [] as number[] };
    try {
      const token = await t.newToken();
      for (let i = 0; i < ROUNDS; i++) {
        const created = await t.api(token, 'POST', '/api/repls', { stack: 'node' });
        if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
        const id = created.json<{ id: string }>().id;
        const [peak, context] = await peakWorkingSet(t, id, async () => {
          const started = await t.api(token, 'POST', `/api/repls/${id}/start`);
          if (started.status !== 200) throw new Error(`start: ${started.status} ${started.body}`);
          await sleep(5000);
          const quiet = memoryOf(replPids(t, id));
          idle.rss.push(quiet.rss);
          idle.pss.push(quiet.pss);
          const quietSet = await workingSet(t, id);
          if (quietSet !== undefined) cgroup.idle.push(quietSet);
          const opened = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          await openWorkbench(t, token, id, await opened.newPage());
          await settledPss(() => replPids(t, id));
          return opened;
        });
        if (peak !== undefined) cgroup.peak.push(peak);
        const settledSet = await workingSet(t, id);
        if (settledSet !== undefined) cgroup.settled.push(settledSet);
        const pids = replPids(t, id);
        const open = memoryOf(pids);
        used.rss.push(open.rss);
        used.pss.push(open.pss);
        const byRole = pssByRole(pids);
        rounds.push(byRole);
        r.say(`repl ${i + 1}: idle ${idle.pss.at(-1)!.toFixed(0)} MB, with a browser ${open.pss.toFixed(0)} MB: ${[...byRole].map(([role, mb]) => `${role} ${mb.toFixed(0)}`).join(', ')}; cgroup working set ${settledSet?.toFixed(0)} MB, highest ${peak?.toFixed(0)} MB`);
        await context.close();
        await t.api(token, 'DELETE', `/api/repls/${id}`);
      }
      r.figure('idle repl, RSS', 'MB', idle.rss);
      r.figure('idle repl, PSS', 'MB', idle.pss, { target: ['<=', 120] });
      r.figure('idle repls that fit in 8 GiB (by PSS)', 'repls', idle.pss.map((mb) => Math.floor(8192 / mb)));
      r.figure('repl with one browser session, RSS', 'MB', used.rss);
      r.figure('repl with one browser session, PSS', 'MB', used.pss, { target: ['<=', 400] });
      if (cgroup.settled.length) {
        r.figure("idle repl, its cgroup's working set (what admission counts)", 'MB', cgroup.idle);
        r.figure("repl with one browser session, its cgroup's working set once settled", 'MB', cgroup.settled);
        r.figure("repl with one browser session, its cgroup's highest working set from start to settled", 'MB', cgroup.peak, { note: 'what CODEYARD_REPL_MEMORY_ESTIMATE_MB should cover' });
      }
      // By role, a role missing from a round counting 0 there (a language server not started).
      for (const role of ROLE_NAMES) {
        if (!rounds.some((byRole) => byRole.has(role))) continue;
        r.figure(`repl with one browser session, PSS of ${role}`, 'MB', rounds.map((byRole) => byRole.get(role) ?? 0));
      }
    } finally {
      await browser.close();
      await t.close();
    }
  },
};
