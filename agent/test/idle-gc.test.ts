import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IDLE_GC_POLICY, idleGcStep, type IdleGcState } from '../src/idle-gc-policy.js';

const MB = 1024 * 1024;
/** The bundle code-server's processes preload (npm run build makes it). */
const PRELOAD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../idle-gc.cjs');

describe('idleGcStep (when a quiet process collects)', () => {
  const policy = IDLE_GC_POLICY;
  const start: IdleGcState = { quiet: 0, baselineRss: 50 * MB, lastAt: -Infinity };

  /** Runs samples through the policy; answers the indexes at which it collected. */
  function collections(samples: Array<{ utilization: number; rss: number }>, state = start): number[] {
    const at: number[] = [];
    samples.forEach((sample, i) => {
      const step = idleGcStep(state, { ...sample, now: i * 2000 }, policy);
      state = step.collect ? { ...step.state, baselineRss: sample.rss / 2 } : step.state;
      if (step.collect) at.push(i);
    });
    return at;
  }

  it('collects once the process has been quiet for a few checks after growing', () => {
    const grown = 50 * MB + policy.minGrowthBytes;
    const samples = [{ utilization: 0.9, rss: grown }, ...Array.from({ length: policy.quietChecks }, () => ({ utilization: 0.01, rss: grown }))];
    assert.deepEqual(collections(samples), [policy.quietChecks]);
  });

  it('never collects while the process is busy, and a busy check starts the quiet count again', () => {
    const grown = 200 * MB;
    const busy = Array.from({ length: 10 }, () => ({ utilization: 0.5, rss: grown }));
    assert.deepEqual(collections(busy), []);
    const interrupted = [...Array.from({ length: policy.quietChecks - 1 }, () => ({ utilization: 0, rss: grown })), { utilization: 0.2, rss: grown }, ...Array.from({ length: policy.quietChecks - 1 }, () => ({ utilization: 0, rss: grown }))];
    assert.deepEqual(collections(interrupted), []);
  });

  it('does not collect for less growth than is worth it, counted from the lowest resident set seen', () => {
    const quiet = (rss: number) => Array.from({ length: policy.quietChecks + 2 }, () => ({ utilization: 0, rss }));
    assert.deepEqual(collections(quiet(50 * MB + policy.minGrowthBytes - 1)), []);
    // The kernel or V8 gave memory back by itself (rss 30 MB): growth is counted from there.
    assert.deepEqual(collections([{ utilization: 0.5, rss: 30 * MB }, ...quiet(30 * MB + policy.minGrowthBytes)]), [policy.quietChecks]);
  });

  it('leaves at least the least interval between two collections', () => {
    const big = Array.from({ length: 40 }, (_, i) => ({ utilization: 0, rss: (100 + i * 20) * MB }));
    const at = collections(big);
    assert.ok(at.length >= 2, `collects again after the interval (at ${at.join(', ')})`);
    for (let i = 1; i < at.length; i++) assert.ok((at[i]! - at[i - 1]!) * 2000 >= policy.minIntervalMs, `checks ${at[i - 1]} and ${at[i]} are far enough apart`);
  });
});

describe('idle-gc.cjs preloaded into a real Node process', { timeout: 60_000 }, () => {
  it('collects only once the process has gone quiet, gives the memory back, and exposes no gc()', async () => {
    assert.ok(fs.existsSync(PRELOAD), `${PRELOAD} is built (npm run build)`);
    // Allocates ~100 MB that becomes garbage, keeps its event loop busy for 8 s, then idles.
    const script = `
      let keep = []; for (let i = 0; i < 1e6; i++) keep.push({ i, s: 'x' + i }); keep = null;
      console.log('gc exposed: ' + typeof gc + ' ' + require('vm').runInNewContext('typeof gc'));
      console.log('rss ' + process.memoryUsage.rss());
      const until = Date.now() + 8000;
      const busy = setInterval(() => { const end = Date.now() + 150; while (Date.now() < end); if (Date.now() > until) { clearInterval(busy); console.log('quiet now'); } }, 160);
      setInterval(() => console.log('rss ' + process.memoryUsage.rss()), 500).unref();
      setTimeout(() => {}, 30000);
    `;
    const child = spawn(process.execPath, ['--trace-gc', `--require=${PRELOAD}`, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    try {
      const deadline = Date.now() + 45_000;
      // V8 traces gc()'s collections as "testing", memory-reducing ones as "(reduce)".
      const collected = () => /Mark-Compact \(reduce\).*testing/.test(output);
      while (!collected() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(collected(), `an idle collection happened:\n${output.slice(-2000)}`);
      assert.match(output, /gc exposed: undefined undefined/);
      const beforeQuiet = output.slice(0, output.indexOf('quiet now'));
      assert.ok(output.includes('quiet now') && !/testing/.test(beforeQuiet), 'nothing was collected while the event loop was busy');
      const rss = [...output.matchAll(/^rss (\d+)$/gm)].map((m) => Number(m[1]));
      const peak = Math.max(...rss);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const last = [...output.matchAll(/^rss (\d+)$/gm)].map((m) => Number(m[1])).at(-1)!;
      assert.ok(last < peak - 40 * MB, `the memory went back: resident ${Math.round(peak / MB)} MB at most, ${Math.round(last / MB)} MB after`);
    } finally {
      child.kill();
    }
  });
});
