import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser.js';
import { startTestPortal } from '../../test/helpers/test-portal.js';
import type { Recorder, Suite } from '../harness.js';
import { memoryOf, openWorkbench, replPids, settledPss, topProcesses } from '../repl-memory.js';

/** The memory budget the figure is about, in MB. */
const BUDGET_MB = 8192;
/** Most repls started: enough to show the target (20) is met, bounded for the 24 GiB machine. */
const MAX_REPLS = 24;
/** Longest the whole run may take; the count so far is recorded when it runs out. */
const TIME_BUDGET_MS = 20 * 60_000;

/**
 * Active repls that fit in 8 GiB: Node repls started one after another, each opened in its own
 * Chromium page (its own browser context: one user each) and left open, until the repls' summed
 * PSS passes 8 GiB, or MAX_REPLS, or the time budget. Chromium's own memory is not counted: only
 * the repls' processes (sandbox, agent, code-server and everything it starts). PSS splits the
 * pages the repls share (Node's and code-server's code) between them, as the machine pays them.
 */
export const densitySuite: Suite = {
  name: 'density',
  description: `active Node repls, one browser page each, that fit in ${BUDGET_MB / 1024} GiB by summed PSS (at most ${MAX_REPLS}, ${TIME_BUDGET_MS / 60_000} min)`,
  async run(r: Recorder) {
    const t = await startTestPortal({ env: { CODEYARD_MAX_RUNNING_PER_ACCOUNT: String(MAX_REPLS + 1), CODEYARD_MAX_REPLS_PER_ACCOUNT: String(MAX_REPLS + 1) } });
    const browser = await launchChromium();
    const contexts: BrowserContext[] = [];
    const ids: string[] = [];
    const started = Date.now();
    let fits = 0;
    let last: number[] = [];
    let why = `the cap of ${MAX_REPLS} repls`;
    try {
      const token = await t.newToken();
      while (ids.length < MAX_REPLS) {
        if (Date.now() - started > TIME_BUDGET_MS) {
          why = `the time budget (${TIME_BUDGET_MS / 60_000} min)`;
          break;
        }
        const created = await t.api(token, 'POST', '/api/repls', { stack: 'node' });
        if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
        const id = created.json<{ id: string }>().id;
        ids.push(id);
        const start = await t.api(token, 'POST', `/api/repls/${id}/start`);
        if (start.status !== 200) throw new Error(`start ${ids.length}: ${start.status} ${start.body}`);
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        contexts.push(context);
        await openWorkbench(t, token, id, await context.newPage());
        await settledPss(() => replPids(t, id), { minMs: 10_000, maxMs: 30_000 });
        const each = ids.map((replId) => memoryOf(replPids(t, replId)).pss);
        const sum = each.reduce((a, b) => a + b, 0);
        r.say(`${ids.length} repls: ${sum.toFixed(0)} MB in all, ${(sum / ids.length).toFixed(0)} MB each on average`);
        if (sum > BUDGET_MB) {
          why = `${BUDGET_MB / 1024} GiB`;
          break;
        }
        fits = ids.length;
        last = each;
      }
      r.say(`stopped at ${why}; the last repl, by process:\n     ${topProcesses(replPids(t, ids.at(-1)!))}`);
      r.figure(`active repls (one browser each) that fit in ${BUDGET_MB / 1024} GiB`, 'repls', [fits], { target: ['>=', 20], note: `stopped at ${why}` });
      if (last.length) r.figure(`PSS of each of ${last.length} active repls`, 'MB', last, { target: ['<=', 400] });
    } finally {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await t.close();
    }
  },
};
