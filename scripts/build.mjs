// `npm run build` (and the build `npm start`, `npm test` and `npm run bench` begin with): runs
// the steps of build-steps.mjs whose inputs changed since they last ran, so a start with nothing
// changed costs a few milliseconds instead of the whole build. `--force` runs every step.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSteps } from './build-stamp.mjs';
import { STEPS } from './build-steps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Inside node_modules: `npm ci` empties it, and a fresh install must rebuild anyway.
const stampDir = path.join(root, 'node_modules', '.cache', 'codeyard-build');
const started = performance.now();
try {
  const { ran, skipped } = await runSteps(STEPS, { root, stampDir, force: process.argv.includes('--force') });
  const ms = Math.round(performance.now() - started);
  process.stderr.write(`[build] ${ran.length ? `built ${ran.join(', ')}` : 'nothing to build'}${skipped.length ? `; up to date: ${skipped.join(', ')}` : ''} (${ms} ms)\n`);
} catch (err) {
  process.stderr.write(`[build] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
