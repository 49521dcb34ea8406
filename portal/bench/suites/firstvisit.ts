import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser.js';
import { startTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { replDirs } from '../../src/runtime/process/repl-folders.js';
import { cpuThrottling, describeTimes, freshContext, recordRequests, visit, vscodeLogMilestones, workbenchMarks } from '../first-visit.js';
import { RESULTS_DIR, type Recorder, type Suite } from '../harness.js';
import { replPids } from '../repl-memory.js';

/** First visits (each with its repeat visit); CODEYARD_BENCH_SAMPLES sets another count (1-20). */
const SAMPLES = Math.min(20, Math.max(1, Number(process.env.CODEYARD_BENCH_SAMPLES) || 5));

/**
 * CODEYARD_BENCH_COMPARE=ide-page visits, side by side, a second portal with CODEYARD_IDE_PAGE=off
 * (VS Code's page from code-server, the bar preloading): one visit of each per sample, in
 * alternating order, so both meet the same moments of a shared machine.
 */
const COMPARE = process.env.CODEYARD_BENCH_COMPARE === 'ide-page';

/** A new node repl from the warm pool (as `npm start` serves one), running. */
async function newRepl(t: TestPortal, token: string): Promise<string> {
  for (let n = 0; n < 900 && t.runtime.warmCounts().node !== 1; n++) await sleep(100);
  const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<{ id: string }>();
  const started = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
  if (started.status !== 200) throw new Error(`start: ${started.body}`);
  return repl.id;
}

async function ideLink(t: TestPortal, token: string, id: string): Promise<string> {
  return (await t.api(token, 'POST', `/api/repls/${id}/ide-link`)).json<{ url: string }>().url;
}

/** One portal visited, with what its visits measured. */
interface Side {
  /** Added to its figures' names ('' for the portal as configured). */
  suffix: string;
  t: TestPortal;
  token: string;
  first: { workbench: number[]; workbenchPolled: number[]; run: number[]; extensionRun: number[]; app: number[]; throttledMs: number[] };
  repeat: { workbench: number[]; run: number[] };
}

async function openSide(suffix: string, env: Record<string, string>): Promise<Side> {
  const t = await startTestPortal({ env: { CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000', ...env }, warmStacks: ['node'] });
  return { suffix, t, token: await t.newToken(), first: { workbench: [], workbenchPolled: [], run: [], extensionRun: [], app: [], throttledMs: [] }, repeat: { workbench: [], run: [] } };
}

/** One first visit of a new repl on `side` (traced), then its repeat visit. */
async function sample(r: Recorder, browser: Browser, side: Side, i: number, traces: unknown[]): Promise<void> {
  const { t, token, first, repeat } = side;
  const id = await newRepl(t, token);
  const home = replDirs(path.join(t.dataDir, 'repls'), id).home;
  const pids = replPids(t, id);
  const context = await freshContext(browser);
  const page = await context.newPage();
  const requests = recordRequests(page);
  const link = await ideLink(t, token, id);
  const cpuBefore = cpuThrottling(pids);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const epochAt0 = Date.now();
  const t0 = performance.now();
  const times = await visit(page, link, { t, appHost: `${id}-3000.localhost:${t.port}`, t0 });
  const cpuAfter = cpuThrottling(pids);
  const waterfall = await requests.finish(t0);
  const marks = await workbenchMarks(page);
  first.workbench.push(times.workbench);
  if (times.polled) first.workbenchPolled.push(times.polled.workbench);
  first.extensionRun.push(times.extensionRun);
  first.run.push(Math.min(times.barRun ?? Infinity, times.extensionRun));
  first.app.push(times.appAnswering!);
  const throttle = cpuBefore && cpuAfter ? { periods: cpuAfter.periods - cpuBefore.periods, throttled: cpuAfter.throttled - cpuBefore.throttled, throttledMs: Math.round(cpuAfter.throttledMs - cpuBefore.throttledMs) } : undefined;
  if (throttle) first.throttledMs.push(throttle.throttledMs);
  const logs = vscodeLogMilestones(home, epochAt0);
  traces.push({ sample: i + 1, side: side.suffix || 'as configured', load, times, throttle, waterfall, marks, logs });
  r.say(`first visit ${i + 1}${side.suffix} (load ${load}): ${describeTimes(times)}; cpu ${JSON.stringify(throttle)}`);
  r.say(`  ${waterfall.requests} requests, ${(waterfall.bytes / 1e6).toFixed(2)} MB on the wire; slowest:\n     ${waterfall.slowest.map((w) => `${w.start}-${w.end} ms ${(w.bytes / 1e3).toFixed(0)} kB ${w.encoding} ${w.url}`).join('\n     ')}`);
  r.say(`  VS Code marks (ms): ${Object.entries(marks).map(([k, v]) => `${k.replace('code/', '')} ${v}`).join(', ')}`);
  r.say(`  VS Code logs:\n     ${logs.join('\n     ')}`);

  // The repeat visit: the same browser (its cache warm), the app stopped again.
  const stopped = await t.api(token, 'POST', `/api/repls/${id}/app/stop`).catch((err: unknown) => {
    throw new Error(`stopping the app before the repeat visit: ${String(err)}`);
  });
  if (stopped.status !== 200) throw new Error(`stopping the app: ${stopped.status} ${stopped.body}`);
  const again = await visit(page, await ideLink(t, token, id), { t });
  repeat.workbench.push(again.workbench);
  repeat.run.push(Math.min(again.barRun ?? Infinity, again.extensionRun));
  r.say(`repeat visit ${i + 1}${side.suffix}: ${describeTimes(again)}`);
  await context.close();
  await t.api(token, 'DELETE', `/api/repls/${id}`);
}

function record(r: Recorder, side: Side): void {
  const { first, repeat, suffix } = side;
  r.figure(`first visit: IDE link → workbench visible${suffix}`, 'ms', first.workbench, { target: ['<=', 2000], note: 'the first animation frame with an explorer row, timed in the page' });
  r.figure(`first visit: IDE link → workbench visible, as a Playwright locator wait sees it${suffix}`, 'ms', first.workbenchPolled, { note: 'polls with a back-off to 500 ms: up to half a second late; how earlier runs timed it' });
  r.figure(`first visit: IDE link → Run usable${suffix}`, 'ms', first.run, { target: ['<=', 3500], note: 'the first Run control that starts the app: the bar, else the extension' });
  r.figure(`first visit: IDE link → Run usable in VS Code (extension)${suffix}`, 'ms', first.extensionRun);
  r.figure(`first visit: IDE link → Run pressed → app answering${suffix}`, 'ms', first.app, { target: ['<=', 5000] });
  if (first.throttledMs.length) r.figure(`first visit: time the repl's cgroup was CPU-throttled${suffix}`, 'ms', first.throttledMs);
  r.figure(`repeat visit: IDE link → Run usable${suffix}`, 'ms', repeat.run, { target: ['<=', 2000] });
  r.figure(`repeat visit: IDE link → workbench visible${suffix}`, 'ms', repeat.workbench);
}

export const firstVisitSuite: Suite = {
  name: 'firstvisit',
  description: `a new node repl's IDE link in headless Chromium, empty cache (fresh context) then repeat visit (same context): workbench, Run usable, Run → app answering; ${SAMPLES} samples${COMPARE ? ' beside a portal whose VS Code page comes from code-server' : ''}, with a trace`,
  async run(r: Recorder) {
    // CODEYARD_IDE_STATIC=off in the bench's environment measures VS Code's files served by each repl's code-server (before/after).
    const ideStatic = process.env.CODEYARD_IDE_STATIC ?? 'on';
    r.say(`static files served by the proxy: ${ideStatic}`);
    const sides = [await openSide('', { CODEYARD_IDE_STATIC: ideStatic })];
    if (COMPARE) sides.push(await openSide(" (VS Code's page from code-server)", { CODEYARD_IDE_STATIC: ideStatic, CODEYARD_IDE_PAGE: 'off' }));
    const browser = await launchChromium();
    const traces: unknown[] = [];
    try {
      for (let i = 0; i < SAMPLES; i++) {
        for (const side of i % 2 ? [...sides].reverse() : sides) await sample(r, browser, side, i, traces);
      }
      for (const side of sides) record(r, side);
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      fs.writeFileSync(path.join(RESULTS_DIR, 'firstvisit-trace.json'), JSON.stringify(traces, null, 2));
    } finally {
      await browser.close();
      for (const side of sides) await side.t.close();
    }
  },
};
