import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.js';
import { startTestPortal, type TestPortal } from '../test/helpers/test-portal.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';
import { summarizeTrace } from './chrome-trace.js';
import { processTree, sampleCpu } from './cpu-sampler.js';
import { describeTimes, freshContext, recordRequests, visit, vscodeLogMilestones, workbenchMarks } from './first-visit.js';
import { RESULTS_DIR } from './harness.js';
import { replPids } from './repl-memory.js';

/**
 * `node portal/dist/bench/trace-visit.js [samples]`: one first visit (or more) of a new node
 * repl's IDE link, traced in full: Chromium's performance trace (the renderer's long tasks and
 * what filled them), the network waterfall, VS Code's marks and logs, and CPU time per side (the
 * browser, the repl, this process: portal + proxy, the whole machine) in 250 ms buckets. Prints
 * the breakdown and writes the raw trace to portal/bench/results/, with VS Code's WebSocket
 * frames (which call waited for which answer). Not a figure of its own: the `firstvisit` suite
 * times; this says where the time goes. TRACE=0 leaves out Chromium's trace (it slows the page a
 * little); TRACE_PROFILE=1 adds V8's sampling profiler to it.
 */

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'disabled-by-default-v8.compile', 'blink.user_timing', 'loading', 'toplevel', ...(process.env.TRACE_PROFILE ? ['disabled-by-default-v8.cpu_profiler'] : [])];

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

async function newRepl(t: TestPortal, token: string): Promise<string> {
  for (let n = 0; n < 900 && t.runtime.warmCounts().node !== 1; n++) await sleep(100);
  const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<{ id: string }>();
  const started = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
  if (started.status !== 200) throw new Error(`start: ${started.body}`);
  return repl.id;
}

interface SocketFrame {
  at: number;
  socket: string;
  dir: '>' | '<';
  bytes: number;
  /** The frame's printable runs: VS Code's IPC names its channel and call in plain text. */
  text: string;
}

/** Every WebSocket frame of the page (VS Code's management and extension-host connections), timed from t0. */
function recordSocketFrames(page: Page, t0: () => number): SocketFrame[] {
  const frames: SocketFrame[] = [];
  page.on('websocket', (ws) => {
    const socket = ws.url().slice(-8);
    const note = (dir: '>' | '<', payload: string | Buffer): void => {
      const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
      frames.push({ at: Math.round(performance.now() - t0()), socket, dir, bytes: buf.length, text: buf.subarray(0, 400).toString('latin1').replace(/[^\x20-\x7e]+/g, '·').slice(0, 110) });
    };
    ws.on('framesent', (f) => note('>', f.payload));
    ws.on('framereceived', (f) => note('<', f.payload));
  });
  return frames;
}

function row(values: number[], width = 5): string {
  return values.map((v) => String(v).padStart(width)).join('');
}

async function main(): Promise<void> {
  const samples = Math.min(10, Math.max(1, Number(process.argv[2] ?? 1)));
  const withTrace = process.env.TRACE !== '0';
  const t = await startTestPortal({ env: { CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000' }, warmStacks: ['node'] });
  const browser = await launchChromium();
  try {
    const token = await t.newToken();
    for (let i = 0; i < samples; i++) {
      const id = await newRepl(t, token);
      const home = replDirs(path.join(t.dataDir, 'repls'), id).home;
      let t0 = 0;
      const context = await freshContext(browser);
      const page = await context.newPage();
      const requests = recordRequests(page);
      const frames = recordSocketFrames(page, () => t0);
      const link = (await t.api(token, 'POST', `/api/repls/${id}/ide-link`)).json<{ url: string }>().url;
      if (withTrace) await browser.startTracing(page, { categories: CATEGORIES });
      let repl = replPids(t, id);
      let chromium: number[] = [];
      let refreshed = 0;
      const groups = (): Record<string, number[]> => {
        // The process lists are read again four times a second: the extension host starts meanwhile.
        if (performance.now() - refreshed > 250) {
          refreshed = performance.now();
          const ours = processTree(process.pid);
          repl = replPids(t, id);
          chromium = ours.filter((pid) => cmdline(pid).includes('chromium'));
        }
        return { browser: chromium, repl, portal: [process.pid], machine: [0] };
      };
      const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      const epochAt0 = Date.now();
      t0 = performance.now();
      const cpu = sampleCpu(groups, t0);
      const times = await visit(page, link, { t, t0 });
      const timeline = cpu.stop();
      const waterfall = await requests.finish(t0);
      const marks = await workbenchMarks(page);
      console.log(`\n== sample ${i + 1} (load before: ${load}) times ${describeTimes(times)}`);
      console.log('-- requests (start-end ms, kB, encoding, top/frame)');
      for (const r of waterfall.all) console.log(`  ${String(r.start).padStart(5)}-${String(r.end).padEnd(5)} ${(r.bytes / 1e3).toFixed(0).padStart(5)} kB ${r.encoding.padEnd(4)} ${r.status} ${r.top ? 'top  ' : 'frame'} ${r.url}`);
      const wanted = /didStartRenderer|willLoadWorkbenchMain|didLoadWorkbenchMain|CreateSocket|willStartWorkbench|didRemovePartsSplash|ResolveExplorer|didStartWorkbench|willLoadExtensions|didLoadExtensions|TextFileEditorModel/;
      console.log(`-- marks: ${Object.entries(marks).filter(([k]) => wanted.test(k)).map(([k, v]) => `${k.replace('code/', '')} ${v}`).join(', ')}`);
      console.log(`-- VS Code's WebSockets until the workbench showed (ms, socket, > sent / < received, bytes, what):\n  ${frames.filter((f) => f.at <= times.workbench).map((f) => `${String(f.at).padStart(5)} ${f.socket} ${f.dir} ${String(f.bytes).padStart(8)} ${f.text}`).join('\n  ')}`);
      console.log(`-- logs:\n  ${vscodeLogMilestones(home, epochAt0).join('\n  ')}`);
      console.log(`-- cpu ms per ${timeline.bucketMs} ms bucket`);
      for (const [name, values] of Object.entries(timeline.groups)) console.log(`  ${name.padEnd(8)}${row(values)}`);
      if (withTrace) {
        const buffer = await browser.stopTracing();
        const file = path.join(RESULTS_DIR, `trace-visit-${i + 1}.json`);
        fs.mkdirSync(RESULTS_DIR, { recursive: true });
        fs.writeFileSync(file, buffer);
        const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents: Parameters<typeof summarizeTrace>[0] };
        const summary = summarizeTrace(parsed.traceEvents);
        console.log(`  mainthr ${row(summary.busy)}   (renderer main thread busy, from the navigation)`);
        console.log(`-- renderer's other threads (ms): ${JSON.stringify(summary.otherThreads)}`);
        console.log('-- long tasks on the renderer main thread (start ms, duration, what)');
        for (const task of summary.longTasks) console.log(`  ${String(task.start).padStart(5)} +${String(task.dur).padEnd(5)} ${task.inside.join(', ')} ${task.url ?? ''}`);
        console.log(`  (raw trace: ${file})`);
      }
      await context.close();
      await t.api(token, 'DELETE', `/api/repls/${id}`);
    }
  } finally {
    await browser.close();
    await t.close();
  }
}

process.env.CODEYARD_TEST_LOG ??= 'error';
main().catch((err: unknown) => {
  process.stderr.write(`trace failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
