import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './http.js';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * A real S3 protocol server (s3rver) as its own process on loopback. It runs with
 * --openssl-legacy-provider: s3rver encrypts listing continuation tokens with DES
 * (lib/controllers/bucket.js), which OpenSSL 3 offers only from its legacy provider.
 */
export async function startS3Server(bucket = 'codeyard-test'): Promise<S3TestServer & { pause(): Promise<void>; resume(): Promise<void> }> {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-s3-'));
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(process.execPath, ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', bucket], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`s3rver did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await launch();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    stop,
    /** Takes the server away (an outage); its data stays for resume(). */
    pause: stop,
    /** Brings it back on the same port with the same data. */
    resume: launch,
  };
}
