/**
 * Reads a Chromium performance trace (the JSON `browser.startTracing` records) into what the
 * first visit's breakdown needs: the renderer main thread's long tasks and what filled them,
 * and VS Code's own marks, all in ms from the navigation.
 */

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { url?: string; frame?: string; [k: string]: unknown }; [k: string]: unknown };
}

export interface LongTask {
  start: number;
  dur: number;
  /** The biggest kinds of work inside, `name ms`, biggest first. */
  inside: string[];
  /** The script evaluated or function called, when one is named. */
  url?: string;
}

export interface TraceSummary {
  /** Main-thread tasks of the renderer over `minMs`, in order. */
  longTasks: LongTask[];
  /** Main-thread busy time per bucket (ms of each `bucketMs`). */
  busy: number[];
  bucketMs: number;
  /** Work on the renderer's other threads (script streaming, GC helpers), ms by thread name. */
  otherThreads: Record<string, number>;
}

/** Kinds of work worth naming in a long task. */
const KINDS = new Set([
  'EvaluateScript',
  'v8.evaluateModule',
  'v8.compileModule',
  'v8.compile',
  'v8.produceModuleCache',
  'v8.produceCache',
  'FunctionCall',
  'ParseHTML',
  'ParseAuthorStyleSheet',
  'UpdateLayoutTree',
  'Layout',
  'Paint',
  'PrePaint',
  'Layerize',
  'MajorGC',
  'MinorGC',
  'V8.GC_SCAVENGER',
  'V8.GC_MARK_COMPACTOR',
  'TimerFire',
  'EventDispatch',
  'FireAnimationFrame',
  'RunMicrotasks',
  'v8.run',
  'ResourceReceivedData',
  'HandlePostMessage',
  'XHRReadyStateChange',
]);

/**
 * Times are from the top-level navigation's start. Only outermost `RunTask`s count (Chromium
 * nests `ThreadControllerImpl::RunTask` inside them).
 */
export function summarizeTrace(events: TraceEvent[], options: { minMs?: number; bucketMs?: number } = {}): TraceSummary & { t0: number } {
  const minMs = options.minMs ?? 30;
  const bucketMs = options.bucketMs ?? 250;
  const names = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, String(e.args?.name));
  // The top-level navigation's start (the link's request is the browser's, not in the renderer's events).
  const navigation = events.find((e) => e.name === 'navigationStart' && e.args?.data?.isOutermostMainFrame === true && !!e.args.data.documentLoaderURL);
  const t0 = navigation?.ts ?? events.reduce((min, e) => (e.ts > 0 && e.ts < min ? e.ts : min), Infinity);
  // The renderer of the IDE host: the main thread that ran the most script.
  const scriptBy = new Map<string, number>();
  for (const e of events) {
    if (e.ph === 'X' && (e.name === 'EvaluateScript' || e.name === 'v8.evaluateModule' || e.name === 'FunctionCall') && names.get(`${e.pid}:${e.tid}`) === 'CrRendererMain') {
      scriptBy.set(`${e.pid}:${e.tid}`, (scriptBy.get(`${e.pid}:${e.tid}`) ?? 0) + (e.dur ?? 0));
    }
  }
  const main = [...scriptBy.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const mainPid = main ? Number(main.split(':')[0]) : -1;
  const onMain = events.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === 'X' && e.ts >= t0);
  const tasks = onMain.filter((e) => e.name === 'RunTask').sort((a, b) => a.ts - b.ts);
  const busy: number[] = [];
  for (const task of tasks) {
    // Spread each task over the buckets it covers.
    let at = task.ts;
    const end = task.ts + (task.dur ?? 0);
    while (at < end) {
      const bucket = Math.floor((at - t0) / 1000 / bucketMs);
      const bucketEnd = t0 + (bucket + 1) * bucketMs * 1000;
      const part = Math.min(end, bucketEnd) - at;
      busy[bucket] = (busy[bucket] ?? 0) + part / 1000;
      at += part;
    }
  }
  const longTasks: LongTask[] = [];
  for (const task of tasks) {
    if ((task.dur ?? 0) / 1000 < minMs) continue;
    const end = task.ts + (task.dur ?? 0);
    const by = new Map<string, number>();
    let url: string | undefined;
    for (const e of onMain) {
      if (e.ts < task.ts || e.ts >= end || e === task || !KINDS.has(e.name)) continue;
      by.set(e.name, (by.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
      const u = (e.args?.data?.url as string | undefined) ?? (e.args?.data?.scriptName as string | undefined) ?? (e.args?.fileName as string | undefined);
      if (!url && u) url = u.replace(/\/stable-[0-9a-f]{40}\//, '/stable-…/').replace(/^https?:\/\/[^/]+/, '');
    }
    longTasks.push({
      start: Math.round((task.ts - t0) / 1000),
      dur: Math.round((task.dur ?? 0) / 1000),
      inside: [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${Math.round(v)}`),
      url,
    });
  }
  const otherThreads: Record<string, number> = {};
  for (const e of events) {
    if (e.pid !== mainPid || e.ph !== 'X' || e.ts < t0 || `${e.pid}:${e.tid}` === main) continue;
    if (e.name !== 'RunTask' && e.name !== 'ThreadPool_RunTask') continue;
    const thread = (names.get(`${e.pid}:${e.tid}`) ?? String(e.tid)).replace(/\d+$/, '');
    otherThreads[thread] = Math.round((otherThreads[thread] ?? 0) + (e.dur ?? 0) / 1000);
  }
  return { t0, longTasks, busy: busy.map((b) => Math.round(b ?? 0)), bucketMs, otherThreads };
}
