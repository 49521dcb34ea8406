import { runSuites } from './harness.js';
import { classOpenSuite } from './suites/class-open.js';
import { classProvisionSuite } from './suites/class-provision.js';
import { densitySuite } from './suites/density.js';
import { editorsSuite } from './suites/editors.js';
import { firstVisitSuite } from './suites/firstvisit.js';
import { podmanSuite } from './suites/podman.js';
import { proxySuite } from './suites/proxy.js';
import { memorySuite } from './suites/memory.js';
import { apiSuite, browserSuite, startSuite } from './suites/repl.js';
import { startupSuite } from './suites/startup.js';
import { syncSuite } from './suites/sync.js';

/**
 * `npm run bench [suite…]`: measures Codeyard on this machine with the real parts and records
 * the figures (portal/bench/results/latest.json and latest.md). Loopback only; every loop is
 * bounded. Suites: see below; none named runs them all.
 */
const SUITES = [startSuite, browserSuite, firstVisitSuite, memorySuite, densitySuite, editorsSuite, proxySuite, apiSuite, syncSuite, startupSuite, podmanSuite, classProvisionSuite, classOpenSuite];

// The portal's own warnings (an app not listening yet while Run starts) are noise here.
process.env.CODEYARD_TEST_LOG ??= 'error';

runSuites(SUITES, process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
