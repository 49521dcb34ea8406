import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, FrameLocator, Page, Request } from 'playwright-core';
import type { TestPortal } from '../test/helpers/test-portal.js';

/**
 * One visit of a repl's IDE link in Chromium, timed from the navigation as a user clicking the
 * link sees it, with what happened meanwhile (the network waterfall, VS Code's own performance
 * marks, the repl's CPU throttling). Used by the `firstvisit` bench suite.
 *
 * The milestones, precisely:
 * - **workbench visible**: the explorer lists the workspace (`.explorer-folders-view` has a row):
 *   VS Code is drawn and has talked to its server.
 * - **Run usable (VS Code)**: the Codeyard extension's "▶ Run" status-bar item is shown ("■ Stop"
 *   when the bar's Run was faster). The
 *   extension shows it right after setting the `codeyard.active` context (which enables the
 *   editor-title Run) and registering `codeyard.run`, so a click on it starts the app.
 * - **Run usable (bar)**: the enabled Run button of the Codeyard bar around the IDE (when the
 *   page has one): a click on it starts the app through the proxy's own route.
 * - **app answering**: after Run is clicked on the first usable control, the app's preview URL
 *   answers 200 through the proxy.
 */
export interface VisitTimes {
  workbench: number;
  extensionRun: number;
  barRun?: number;
  appAnswering?: number;
  /**
   * The same milestones as Playwright's locator waits saw them: they poll with a back-off that
   * reaches 500 ms between looks (after ~0.3 s), so they come up to half a second late. Kept
   * beside the in-page times (above) to show the difference.
   */
  polled?: { workbench: number; extensionRun: number; barRun?: number };
}

/**
 * Watches each document of the context (the bar's page and VS Code's frame) from its first
 * moment and notes, at the first animation frame in which each milestone is on screen, the
 * time (epoch ms, high resolution): the explorer's first row with a size (workbench visible), the
 * extension's status-bar Run or Stop, the bar's enabled Run. An animation frame runs right
 * before the browser paints, so this is when a user could first see it. Bounded: it stops
 * looking once its window's milestones are seen, or after two minutes.
 *
 * A frame's first document is an empty one, and the page it then loads from the same origin
 * reuses its window without this script running again: the empty document's animation frames
 * end with it. A timer (the window's, which goes on) asks for a new one whenever none came for a
 * while, and the page's DOMContentLoaded (dispatched to the same window) does at once.
 */
const MILESTONE_WATCH = `(() => {
  if (window.__codeyardSeen) return;
  const seen = (window.__codeyardSeen = {});
  // Deadlines on the wall clock: the reused window's performance clock may start again.
  const until = Date.now() + 120000;
  const now = () => performance.timeOrigin + performance.now();
  let lastLook = 0;
  let done = false;
  const look = () => {
    lastLook = Date.now();
    if (done) return;
    if (!seen.workbench) {
      const row = document.querySelector('.explorer-folders-view .monaco-list-row');
      if (row && row.getBoundingClientRect().height > 0) seen.workbench = now();
    }
    if (!seen.extensionRun) {
      for (const item of document.querySelectorAll('.statusbar-item')) if (/▶ Run|■ Stop/.test(item.textContent || '')) { seen.extensionRun = now(); break; }
    }
    if (!seen.barRun) {
      const bar = document.querySelector('#codeyard-bar button#codeyard-run');
      if (bar && !bar.disabled) seen.barRun = now();
    }
    // VS Code's frame has both of its milestones, the bar's page its one: nothing more to see.
    done = !!((seen.workbench && seen.extensionRun) || seen.barRun) || Date.now() > until;
    if (!done) requestAnimationFrame(look);
  };
  const revive = setInterval(() => {
    if (done) clearInterval(revive);
    else if (Date.now() - lastLook > 100) requestAnimationFrame(look);
  }, 50);
  window.addEventListener('DOMContentLoaded', () => requestAnimationFrame(look));
  requestAnimationFrame(look);
})();`;

interface Seen {
  workbench?: number;
  extensionRun?: number;
  barRun?: number;
}

export interface Waterfall {
  requests: number;
  /** Body bytes as sent over the wire (compressed), all requests. */
  bytes: number;
  /** The slowest requests: url (shortened), start and end from the navigation, bytes. */
  slowest: Array<{ url: string; start: number; end: number; bytes: number; encoding: string }>;
  /** Every request, in the order they started (the trace file's waterfall). */
  all: Array<{ url: string; start: number; end: number; bytes: number; encoding: string; status: number; top: boolean }>;
}

/** Where VS Code runs: the page itself, or the frame inside the Codeyard bar's page. */
export function workbenchOf(page: Page): Page | FrameLocator {
  return page.frameLocator('iframe#codeyard-ide');
}

/** The bar page, when the IDE host answered one. */
async function hasBar(page: Page): Promise<boolean> {
  return (await page.locator('#codeyard-bar').count()) > 0;
}

export function shortUrl(url: string): string {
  const u = new URL(url);
  const p = u.pathname.replace(/\/stable-[0-9a-f]{40}\//, '/stable-…/');
  return p.length > 80 ? `…${p.slice(-79)}` : p;
}

/** Records every request of a page with its timing, relative to `t0` (performance.now() of this process). */
export function recordRequests(page: Page): { done: Array<{ request: Request; end: number }>; finish(t0: number): Promise<Waterfall> } {
  const done: Array<{ request: Request; end: number }> = [];
  page.on('requestfinished', (request) => done.push({ request, end: performance.now() }));
  return {
    done,
    async finish(t0) {
      const rows = await Promise.all(
        done.map(async ({ request, end }) => {
          const sizes = await request.sizes().catch(() => ({ responseBodySize: 0, responseHeadersSize: 0 }));
          const response = await request.response().catch(() => null);
          const encoding = (await response?.headerValue('content-encoding').catch(() => null)) ?? '';
          const status = response?.status() ?? 0;
          // Which document asked: the bar's page (top) or VS Code in its frame.
          let top = true;
          try {
            top = request.frame().parentFrame() === null;
          } catch {}
          const timing = request.timing();
          // timing.startTime is epoch ms; turn it into this process's clock.
          const start = timing.startTime - (Date.now() - performance.now()) - t0;
          return { url: shortUrl(request.url()), start: Math.round(start), end: Math.round(end - t0), bytes: sizes.responseBodySize, encoding, status, top };
        }),
      );
      const slowest = [...rows].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 8);
      const all = [...rows].sort((a, b) => a.start - b.start);
      return { requests: rows.length, bytes: rows.reduce((s, r) => s + r.bytes, 0), slowest, all };
    },
  };
}

/** CPU throttling of a repl's cgroup (v1 `cpu.stat` or v2), summed over its cpu cgroups. */
export function cpuThrottling(pids: number[]): { periods: number; throttled: number; throttledMs: number } | undefined {
  const pid = pids[0];
  if (pid === undefined) return undefined;
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => /^\d+:(cpu,cpuacct|cpu|cpuacct,cpu):/.test(l) || l.startsWith('0::'));
    if (!line) return undefined;
    const rel = line.split(':')[2]!;
    const dir = line.startsWith('0::') ? path.join('/sys/fs/cgroup', rel) : ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpu'].map((d) => path.join(d, rel)).find((d) => fs.existsSync(d));
    if (!dir) return undefined;
    const stat = Object.fromEntries(
      fs
        .readFileSync(path.join(dir, 'cpu.stat'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    return {
      periods: Number(stat.nr_periods ?? 0),
      throttled: Number(stat.nr_throttled ?? 0),
      throttledMs: stat.throttled_usec !== undefined ? Number(stat.throttled_usec) / 1000 : Number(stat.throttled_time ?? 0) / 1e6,
    };
  } catch {
    return undefined;
  }
}

/** VS Code's own performance marks (`code/…`) in the workbench's document, ms from its navigation start. */
export async function workbenchMarks(page: Page): Promise<Record<string, number>> {
  const frame = page.frames().find((f) => f !== page.mainFrame() && f.name() === 'codeyard-ide') ?? page.mainFrame();
  const marks = await frame
    // A string: this package is compiled without the DOM's types. The frame's clock starts at its
    // own navigation; the top page's gives the offset from the link's.
    .evaluate<Array<[string, number]>>(`(() => {
      const offset = window === window.top ? 0 : performance.timeOrigin - window.top.performance.timeOrigin;
      return performance.getEntriesByType('mark').filter((m) => m.name.startsWith('code/') && !['Contribution/', 'ExtensionPoint/', 'Database', 'registerFilesystem', 'terminal/'].some((w) => m.name.includes(w))).map((m) => [m.name, Math.round(m.startTime + offset)]);
    })()`)
    .catch(() => [] as Array<[string, number]>);
  return Object.fromEntries(marks);
}

/** Lines of VS Code's server and extension-host logs in a repl's home, with their times from `epochAt0`. */
export function vscodeLogMilestones(home: string, epochAt0: number): string[] {
  const logs = path.join(home, '.local', 'share', 'code-server', 'logs');
  if (!fs.existsSync(logs)) return [];
  const wanted = /Extension host with pid|Eager extensions activated|ExtensionService#_doActivateExtension (codeyard|vscode\.git)|Started local extension host|Timed out waiting|New connection established|Extension host started|scanned/i;
  const out: string[] = [];
  for (const file of fs.readdirSync(logs, { recursive: true }) as string[]) {
    if (!file.endsWith('.log')) continue;
    for (const line of fs.readFileSync(path.join(logs, file), 'utf8').split('\n')) {
      const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[\w+\] (.*)$/.exec(line);
      if (!m || !wanted.test(m[2]!)) continue;
      const at = new Date(m[1]!.replace(' ', 'T')).getTime() - epochAt0;
      if (at >= -1000) out.push(`${(at / 1000).toFixed(2)} s ${path.basename(file)}: ${m[2]!.slice(0, 110)}`);
    }
  }
  return out.sort((a, b) => parseFloat(a) - parseFloat(b));
}

/**
 * One GET of the app on a connection of its own: Node's global agent keeps connections alive,
 * and one the proxy's fast path took for the app's host is closed when reused for another host.
 */
function appStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls the app's preview until it answers 200 (bounded: 60 s). */
export async function waitForApp(t: TestPortal, host: string): Promise<void> {
  const until = performance.now() + 60_000;
  while (performance.now() < until) {
    if ((await appStatus(t.port, host)) === 200) return;
    await sleep(20);
  }
  throw new Error(`the app at ${host} never answered`);
}

/**
 * Opens `link` in `page` and times the milestones (see VisitTimes). With `run`, clicks the
 * first usable Run control and waits for the app (preview `appHost`) to answer.
 */
export async function visit(page: Page, link: string, options: { t: TestPortal; appHost?: string; t0?: number }): Promise<VisitTimes> {
  const t0 = options.t0 ?? performance.now();
  const since = (): number => performance.now() - t0;
  // t0 as a wall-clock time, to compare with the page's (performance.timeOrigin + now() there,
  // which is the wall clock at its navigation). Read from the wall clock now, not from this
  // process's timeOrigin: the clock is stepped on this machine (NTP), and a process started
  // before a step put every in-page time off by the step (5 s in one run).
  const epochAt0 = Date.now() - (performance.now() - t0);
  await page.goto(link, { waitUntil: 'commit' });
  const times: Partial<VisitTimes> = {};
  const bar = page.locator('#codeyard-bar button#codeyard-run:enabled');
  // The bar's page, or VS Code's own: whichever shows first says which this IDE host serves.
  await page.locator('#codeyard-bar, .monaco-workbench').first().waitFor({ timeout: 90_000 });
  const withBar = await hasBar(page);
  const ide = withBar ? workbenchOf(page) : page;
  const waits: Array<Promise<unknown>> = [
    ide
      .locator('.explorer-folders-view .monaco-list-row')
      .first()
      .waitFor({ timeout: 90_000 })
      .then(() => (times.workbench = since())),
    // Its Run, or its Stop once the bar's Run started the app.
    ide
      .locator('.statusbar-item', { hasText: /▶ Run|■ Stop/ })
      .first()
      .waitFor({ timeout: 90_000 })
      .then(() => (times.extensionRun = since())),
  ];
  let firstRun: Promise<'bar' | 'extension'>;
  if (withBar) {
    const barReady = bar.waitFor({ timeout: 30_000 }).then(() => {
      times.barRun = since();
      return 'bar' as const;
    });
    waits.push(barReady);
    firstRun = barReady;
  } else {
    firstRun = waits[1]!.then(() => 'extension' as const);
  }
  if (options.appHost) {
    const which = await firstRun;
    if (which === 'bar') await bar.click();
    else await ide.locator('.statusbar-item', { hasText: '▶ Run' }).first().click();
    await waitForApp(options.t, options.appHost);
    times.appAnswering = since();
  }
  await Promise.all(waits);
  // The in-page times of each document (the bar's page, VS Code's frame), earliest wins.
  const seen: Seen = {};
  for (const frame of page.frames()) {
    const found = await frame.evaluate<Seen | undefined>('window.__codeyardSeen').catch(() => undefined);
    for (const [key, at] of Object.entries(found ?? {}) as Array<[keyof Seen, number]>) seen[key] = Math.min(seen[key] ?? Infinity, at);
  }
  const polled = { workbench: times.workbench!, extensionRun: times.extensionRun!, ...(times.barRun !== undefined ? { barRun: times.barRun } : {}) };
  const exact = (key: keyof Seen): number | undefined => (seen[key] !== undefined ? seen[key]! - epochAt0 : undefined);
  return { ...times, workbench: exact('workbench') ?? polled.workbench, extensionRun: exact('extensionRun') ?? polled.extensionRun, ...(withBar ? { barRun: exact('barRun') ?? polled.barRun } : {}), polled } as VisitTimes;
}

/** A visit's times in whole ms for the console, the polled ones after a slash: `workbench 2480/2790`. */
export function describeTimes(times: VisitTimes): string {
  const polled = (times.polled ?? {}) as Record<string, number | undefined>;
  return Object.entries(times)
    .filter(([key]) => key !== 'polled')
    .map(([key, value]) => `${key} ${Math.round(value as number)}${polled[key] !== undefined ? `/${Math.round(polled[key]!)}` : ''}`)
    .join(', ');
}

/** A fresh browser context: its own, empty cache (a first visit). */
export async function freshContext(browser: { newContext(o: object): Promise<BrowserContext> }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(MILESTONE_WATCH);
  return context;
}
