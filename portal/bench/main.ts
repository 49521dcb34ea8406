import { runSuites } from './harness.js';
import { proxySuite } from './suites/proxy.js';

/**
 * `npm run bench [suite…]`: measures Codeyard on this machine with the real parts and records
 * the figures (portal/bench/results/latest.json and latest.md). Loopback only; every loop is
 * bounded. Suites: see below; none named runs them all.
 */
const SUITES = [proxySuite];

runSuites(SUITES, process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
