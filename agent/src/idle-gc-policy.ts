/**
 * When a process that has gone quiet should give memory back (see idle-gc.ts): pure, so the
 * policy is tested on its own.
 */
export interface IdleGcPolicy {
  /** Event-loop utilisation (0..1) under which a check counts as quiet. */
  quietUtilization: number;
  /** Quiet checks in a row before collecting: the process has settled, not paused for a moment. */
  quietChecks: number;
  /** Growth of the resident set since the last collection (or the start) worth collecting for, in bytes. */
  minGrowthBytes: number;
  /** Least time between two collections, in ms. */
  minIntervalMs: number;
}

export const IDLE_GC_POLICY: Readonly<IdleGcPolicy> = Object.freeze({
  // A connected workbench keeps a little traffic going (pings, file stats): a few % of the loop.
  quietUtilization: 0.05,
  // With checks every 2 s: six quiet seconds.
  quietChecks: 3,
  // Below a few MB a full collection is not worth its ~10-70 ms.
  minGrowthBytes: 8 * 1024 * 1024,
  minIntervalMs: 10_000,
});

export interface IdleGcState {
  /** Quiet checks in a row so far. */
  quiet: number;
  /** Resident set just after the last collection (or at the start), in bytes. */
  baselineRss: number;
  /** When the last collection ran (ms, same clock as `now`); -Infinity before the first. */
  lastAt: number;
}

export interface IdleGcSample {
  /** Event-loop utilisation since the previous check. */
  utilization: number;
  rss: number;
  now: number;
}

/** The next state, and whether to collect now. */
export function idleGcStep(state: IdleGcState, sample: IdleGcSample, policy: IdleGcPolicy = IDLE_GC_POLICY): { state: IdleGcState; collect: boolean } {
  const quiet = sample.utilization < policy.quietUtilization ? state.quiet + 1 : 0;
  // Memory given back by the kernel or freed by V8 on its own lowers the baseline too.
  const baselineRss = Math.min(state.baselineRss, sample.rss);
  const collect = quiet >= policy.quietChecks && sample.rss - baselineRss >= policy.minGrowthBytes && sample.now - state.lastAt >= policy.minIntervalMs;
  return { state: { quiet: collect ? 0 : quiet, baselineRss, lastAt: collect ? sample.now : state.lastAt }, collect };
}
