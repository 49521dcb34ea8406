import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { S3Store } from '../src/store/s3-store.js';
import { WorkspaceStore } from '../src/store/workspace-store.js';
import { startS3Server } from '../test/helpers/s3-server.js';
import { newEngine, startRelay } from '../test/helpers/sync.js';
import { REPO_ROOT } from '../test/helpers/test-portal.js';

/**
 * `npm run bench:sync`: the agent's sync engine, through the portal's relay, against a real S3
 * protocol server (s3rver) on loopback, with a workspace of 1,000 small files and one 50 MB
 * file. Measures the first sync, a full restore, and incremental syncs, which should cost in
 * proportion to what changed. Prints a table; records bench-results/sync-<timestamp>.json.
 */
const SMALL_FILES = 1000;
const BIG_FILE_BYTES = 50 * 1024 * 1024;
const ROUNDS = 3;
const PREFIX = 'workspaces/benchbenchben/';

interface Figure {
  median: number;
  min: number;
  max: number;
}

function figure(samples: number[]): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (n: number): number => Math.round(n * 10) / 10;
  return { median: r(sorted[Math.floor(sorted.length / 2)]!), min: r(sorted[0]!), max: r(sorted[sorted.length - 1]!) };
}

async function main(): Promise<void> {
  const s3 = await startS3Server('codeyard-bench');
  const store = await S3Store.open({ bucket: s3.bucket, prefix: 'bench/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
  const workspaces = new WorkspaceStore(store);
  let uploads = { count: 0, bytes: 0 };
  const relay = await startRelay(workspaces, PREFIX, { quotaBytes: 1 << 30, onBlob: () => void uploads.count++ });
  relay.server.on('request', (req) => {
    if (req.method === 'PUT' && req.url?.startsWith('/blobs/')) uploads.bytes += Number(req.headers['content-length'] ?? 0);
  });
  const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, smallFiles: SMALL_FILES, bigFileBytes: BIG_FILE_BYTES, rounds: ROUNDS };
  const cleanup: string[] = [];
  try {
    const { engine, workspace } = newEngine(relay.socketPath);
    cleanup.push(path.dirname(workspace));
    process.stdout.write(`writing ${SMALL_FILES} small files and one ${BIG_FILE_BYTES / 1024 / 1024} MB file…\n`);
    for (let i = 0; i < SMALL_FILES; i++) {
      const dir = path.join(workspace, 'src', `d${i % 20}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `f${i}.txt`), randomBytes(512 + (i % 8) * 256).toString('base64'));
    }
    fs.writeFileSync(path.join(workspace, 'data.bin'), randomBytes(BIG_FILE_BYTES));
    const totalBytes = SMALL_FILES * 1500 + BIG_FILE_BYTES;

    await engine.prepare();
    let t0 = performance.now();
    await engine.flush();
    results.firstSync = { ms: Math.round(performance.now() - t0), uploads: uploads.count, bytes: uploads.bytes };
    process.stdout.write(`first sync: ${JSON.stringify(results.firstSync)}\n`);

    const measure = async (label: string, change: (round: number) => void): Promise<void> => {
      const times: number[] = [];
      let last = { count: 0, bytes: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        change(round);
        uploads = { count: 0, bytes: 0 };
        const start = performance.now();
        await engine.flush();
        times.push(performance.now() - start);
        last = uploads;
      }
      results[label] = { ms: figure(times), uploads: last.count, bytes: last.bytes };
      process.stdout.write(`${label}: ${JSON.stringify(results[label])}\n`);
    };
    await measure('noChangeSync', () => undefined);
    await measure('oneSmallFileChanged', (round) => fs.writeFileSync(path.join(workspace, 'src', 'd7', 'f7.txt'), `edit ${round} ${Date.now()}`));
    await measure('oneFileAdded', (round) => fs.writeFileSync(path.join(workspace, `new-${round}.txt`), `added ${round}`));
    await measure('bigFileChanged', () => fs.writeFileSync(path.join(workspace, 'data.bin'), randomBytes(BIG_FILE_BYTES)));
    await engine.stop();

    const restores: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const fresh = newEngine(relay.socketPath);
      cleanup.push(path.dirname(fresh.workspace));
      t0 = performance.now();
      await fresh.engine.prepare();
      restores.push(performance.now() - t0);
      await fresh.engine.stop();
    }
    results.fullRestore = { ms: figure(restores), files: SMALL_FILES + 4 };
    process.stdout.write(`full restore: ${JSON.stringify(results.fullRestore)}\n`);

    const table = [
      ['measure', 'median ms', 'min', 'max', 'uploads', 'MB sent'],
      ['first sync (whole workspace)', String((results.firstSync as { ms: number }).ms), '', '', String((results.firstSync as { uploads: number }).uploads), ((results.firstSync as { bytes: number }).bytes / 1048576).toFixed(1)],
      ...(['noChangeSync', 'oneSmallFileChanged', 'oneFileAdded', 'bigFileChanged'] as const).map((k) => {
        const r = results[k] as { ms: Figure; uploads: number; bytes: number };
        return [k, String(r.ms.median), String(r.ms.min), String(r.ms.max), String(r.uploads), (r.bytes / 1048576).toFixed(2)];
      }),
      ['full restore', String((results.fullRestore as { ms: Figure }).ms.median), String((results.fullRestore as { ms: Figure }).ms.min), String((results.fullRestore as { ms: Figure }).ms.max), '', (totalBytes / 1048576).toFixed(1)],
    ];
    process.stdout.write(`\n${table.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(30) : c.padStart(10))).join('')).join('\n')}\n`);
    const outDir = path.join(REPO_ROOT, 'bench-results');
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `sync-${results.at as string}.json`.replace(/:/g, '-'));
    fs.writeFileSync(file, JSON.stringify(results, null, 2));
    process.stdout.write(`\nrecorded in ${path.relative(REPO_ROOT, file)}\n`);
  } finally {
    await relay.close();
    await store.close();
    await s3.stop();
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:sync failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
