import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { S3Store } from '../../src/store/s3-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { startS3Server } from '../../test/helpers/s3-server.js';
import { newEngine, startRelay } from '../../test/helpers/sync.js';
import type { Recorder, Suite } from '../harness.js';

const SMALL_FILES = 1000;
const BIG_FILE_BYTES = 50 * 1024 * 1024;
const ROUNDS = 3;
const PREFIX = 'workspaces/benchbenchben/';

/**
 * The agent's sync engine, through the portal's relay, against a real S3 protocol server
 * (s3rver) on loopback, with 1,000 small files and one 50 MB file: the first sync, a full
 * restore, and incremental syncs, which must cost in proportion to what changed.
 */
async function run(r: Recorder): Promise<void> {
  const s3 = await startS3Server('codeyard-bench');
  const store = await S3Store.open({ bucket: s3.bucket, prefix: 'bench/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
  const workspaces = new WorkspaceStore(store);
  let uploads = { count: 0, bytes: 0 };
  const relay = await startRelay(workspaces, PREFIX, { quotaBytes: 1 << 30, onBlob: () => void uploads.count++ });
  relay.server.on('request', (req) => {
    if (req.method === 'PUT' && req.url?.startsWith('/blobs/')) uploads.bytes += Number(req.headers['content-length'] ?? 0);
  });
  const cleanup: string[] = [];
  const sent = (u: { count: number; bytes: number }): string => `${u.count} uploads, ${(u.bytes / 1048576).toFixed(2)} MB`;
  try {
    const { engine, workspace } = newEngine(relay.socketPath);
    cleanup.push(path.dirname(workspace));
    r.say(`writing ${SMALL_FILES} small files and one ${BIG_FILE_BYTES / 1048576} MB file…`);
    for (let i = 0; i < SMALL_FILES; i++) {
      const dir = path.join(workspace, 'src', `d${i % 20}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `f${i}.txt`), randomBytes(512 + (i % 8) * 256).toString('base64'));
    }
    fs.writeFileSync(path.join(workspace, 'data.bin'), randomBytes(BIG_FILE_BYTES));

    await engine.prepare();
    const t0 = performance.now();
    await engine.flush();
    r.figure('first sync of the whole workspace', 'ms', [performance.now() - t0], { note: sent(uploads) });

    const measure = async (label: string, change: (round: number) => void): Promise<void> => {
      const times: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        change(round);
        uploads = { count: 0, bytes: 0 };
        const start = performance.now();
        await engine.flush();
        times.push(performance.now() - start);
      }
      r.figure(label, 'ms', times, { note: sent(uploads) });
    };
    await measure('sync, nothing changed', () => undefined);
    await measure('sync, one small file changed', (round) => fs.writeFileSync(path.join(workspace, 'src', 'd7', 'f7.txt'), `edit ${round} ${Date.now()}`));
    await measure('sync, one file added', (round) => fs.writeFileSync(path.join(workspace, `new-${round}.txt`), `added ${round}`));
    await measure('sync, the 50 MB file changed', () => fs.writeFileSync(path.join(workspace, 'data.bin'), randomBytes(BIG_FILE_BYTES)));
    await engine.stop();

    const restores: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const fresh = newEngine(relay.socketPath);
      cleanup.push(path.dirname(fresh.workspace));
      const start = performance.now();
      await fresh.engine.prepare();
      restores.push(performance.now() - start);
      await fresh.engine.stop();
    }
    r.figure('full restore into an empty folder', 'ms', restores, { note: `${SMALL_FILES + 4} files` });
  } finally {
    await relay.close();
    await store.close();
    await s3.stop();
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const syncSuite: Suite = {
  name: 'sync',
  description: `workspace sync against s3rver: ${SMALL_FILES} small files + one ${BIG_FILE_BYTES / 1048576} MB file, ${ROUNDS} rounds`,
  run,
};
