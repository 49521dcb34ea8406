import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sharedDir } from '../../src/runtime/process/repl-folders.js';
import { unmountVolume } from '../../src/runtime/process/workspace-volume.js';
import { freePort, request } from '../../test/helpers/http.js';
import { REPO_ROOT } from '../../test/helpers/test-portal.js';
import type { Suite } from '../harness.js';

const ROUNDS = 3;
/** Longer than any start seen (a full rebuild on a loaded machine takes under a minute). */
const START_LIMIT_MS = 120_000;
const STOP_LIMIT_MS = 60_000;
const POLL_MS = 20;

/** npm as the one running this bench (npm run bench), else the one on the PATH. */
function npm(args: string[]): string[] {
  const cli = process.env.npm_execpath;
  return cli ? [process.execPath, cli, ...args] : ['npm', ...args];
}

interface Started {
  ms: number;
  child: ChildProcess;
  output: () => string;
}

/**
 * Runs `command` in the checkout as its own process group and times it until the portal answers
 * GET /healthz on `port` (polled every 20 ms, for two minutes at most).
 */
async function startUntilHealthy([program, ...args]: string[], port: number, dataDir: string): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(program!, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_LOG_LEVEL: 'warn' },
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const started: Started = { ms: 0, child, output: () => text };
  while (performance.now() - t0 < START_LIMIT_MS) {
    if (child.exitCode !== null) throw new Error(`${[program, ...args].join(' ')} exited with ${child.exitCode}:\n${text}`);
    const res = await request(port, { path: '/healthz' }).catch(() => undefined);
    if (res?.status === 200) return { ...started, ms: performance.now() - t0 };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await stop(started);
  throw new Error(`the portal did not answer /healthz within ${START_LIMIT_MS / 1000} s:\n${text}`);
}

/** SIGTERM to the whole group (npm and the portal: repls stopped and saved), SIGKILL if it hangs. */
async function stop({ child }: Started): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), STOP_LIMIT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * `npm start` with nothing changed, as a user types it again: the build finds everything up to
 * date and the portal comes up on a data folder it has used before. One folder for every round,
 * on a free port; an unmeasured first start makes it (and is reported on its own). The warm pool
 * is on as by default: it fills after the portal listens and must not delay its first answer.
 */
export const startupSuite: Suite = {
  name: 'startup',
  description: '`npm start` with nothing changed → the portal answering GET /healthz; its parts',
  async run(r) {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-bench-start-'));
    fs.chmodSync(parent, 0o755);
    const dataDir = path.join(parent, '.codeyard');
    const port = await freePort();
    const time = async (command: string[]): Promise<Started> => {
      const started = await startUntilHealthy(command, port, dataDir);
      await stop(started);
      return started;
    };
    try {
      const first = await time(npm(['start']));
      r.figure('npm start, empty data folder → /healthz', 'ms', [first.ms], { note: 'makes the database, seeds templates, formats the shared volume' });
      const starts: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const started = await time(npm(['start']));
        // The figure is only what it says when the build really had nothing to do.
        if (!started.output().includes('[build] nothing to build')) throw new Error(`npm start rebuilt something with nothing changed:\n${started.output()}`);
        starts.push(started.ms);
        r.say(`npm start → /healthz: ${Math.round(started.ms)} ms`);
      }
      r.figure('npm start, nothing changed → /healthz', 'ms', starts, { target: ['<=', 3000] });

      const builds: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const build = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'ignore' });
        const code = await new Promise<number | null>((resolve) => build.once('exit', resolve));
        if (code !== 0) throw new Error(`scripts/build.mjs exited with ${code}`);
        builds.push(performance.now() - t0);
      }
      r.figure('the build alone, nothing changed (node scripts/build.mjs)', 'ms', builds);

      const portals: number[] = [];
      for (let i = 0; i < ROUNDS; i++) portals.push((await time([process.execPath, path.join(REPO_ROOT, 'portal', 'dist', 'src', 'main.js')])).ms);
      r.figure('the portal alone (node portal/dist/src/main.js) → /healthz', 'ms', portals);
    } finally {
      // A server keeps its shared volume mounted across restarts; this data folder is thrown away.
      await unmountVolume(sharedDir(path.join(dataDir, 'repls'))).catch(() => undefined);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  },
};
