/**
 * Runs `work` and answers how far the resident set grew above where it started, at its peak
 * (sampled every 10 ms). A garbage collection first when the test runs with --expose-gc.
 */
export async function peakRssGrowth(work: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().rss) - start;
}
