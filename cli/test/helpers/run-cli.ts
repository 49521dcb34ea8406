import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/program.js';
import type { Io } from '../../src/session.js';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as raw bytes (binary downloads). */
  raw: Buffer;
  opened: string[];
  json<T = any>(): T;
}

/** A fresh config home for one test (XDG_CONFIG_HOME), removed by the caller. */
export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cy-cli-'));
}

/**
 * Runs the CLI in-process with captured output: the real program and fetch, a temporary config
 * home, no browser (opened URLs are recorded) and no real waiting (`sleep` records and returns).
 */
export async function runWith(argv: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string | Buffer; tty?: boolean; sleeps?: number[]; interrupt?: AbortSignal; browser?: boolean } = {}): Promise<Ran> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const opened: string[] = [];
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty });
  stdout.on('data', (c: Buffer) => out.push(c));
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty, columns: 80 });
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const io: Io = {
    stdout,
    stderr,
    stdin,
    env: { HOME: '/nonexistent', ...options.env },
    fetch,
    openUrl: async (url) => {
      opened.push(url);
      return options.browser ?? true;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      options.sleeps?.push(ms);
    },
    hostname: 'test-host',
    platform: 'linux',
    interrupt: options.interrupt ?? new AbortController().signal,
  };
  const code = await runCli(argv, io);
  await new Promise((r) => setImmediate(r));
  const raw = Buffer.concat(out);
  return { code, stdout: raw.toString('utf8'), stderr: err.join(''), raw, opened, json: () => JSON.parse(raw.toString('utf8')) };
}
