/**
 * Preloaded into code-server's Node processes (`node --require=/opt/codeyard/idle-gc.cjs …`):
 * its server and, because VS Code forks them with the server's own Node flags, the extension
 * host, the file watcher and the terminal host; the TypeScript server gets it through
 * tsserver-node. Once such a process has gone quiet after work (a workbench loaded, a project
 * parsed), it runs one memory-reducing full garbage collection, which gives the memory back.
 *
 * Why: V8 collects its old generation only when it has grown to a limit, and Node gives V8 no
 * idle time to do it earlier, so what a burst left behind stays resident. Measured on a Node repl
 * with one browser page open and settled (npm run bench -- memory, through the inspector): a full
 * collection took code-server's server from ~100 to ~70 MB PSS, the extension host ~94 → 84, the
 * file watcher ~25 → 20, the TypeScript server ~134 → 104 (its young generation of 64 MB shrunk).
 * A collection of such a heap takes ~10-70 ms, run only when the event loop has been quiet for
 * seconds, and at most every 10 s (idle-gc-policy.ts).
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { IDLE_GC_POLICY, idleGcStep, type IdleGcState } from './idle-gc-policy.js';

const CHECK_MS = 2000;

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * V8's gc() taken without exposing it: --expose-gc only for the moment a fresh context is made,
 * so neither the process's own global nor any later vm context gets a `gc`.
 */
function takeGc(): Gc | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as Gc;
  } catch {
    return undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

function start(): void {
  const gc = takeGc();
  if (typeof gc !== 'function') return;
  let state: IdleGcState = { quiet: 0, baselineRss: process.memoryUsage.rss(), lastAt: -Infinity };
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    const step = idleGcStep(state, { utilization, rss: process.memoryUsage.rss(), now: performance.now() }, IDLE_GC_POLICY);
    state = step.state;
    if (!step.collect) return;
    // 'last-resort': the collection V8 makes on a low-memory warning (several passes, compacting,
    // shrinking the young generation and returning the freed pages), not a plain major GC, which
    // keeps the heap's size.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    state = { ...state, baselineRss: process.memoryUsage.rss() };
    // The collection's own time is not the process being busy.
    last = performance.eventLoopUtilization();
  }, CHECK_MS);
  // Never what keeps a process alive: the watcher and terminal host end with their parent.
  timer.unref();
}

start();
