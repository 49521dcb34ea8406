import { spawn } from 'node:child_process';
import path from 'node:path';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { freePort } from '../helpers/http.js';
import { REPO_ROOT } from '../helpers/test-portal.js';
import type { TokenPortal } from '../tokens/token-portal.js';
import { makeUser, startClassPortal, type TestUser } from './class-portal.js';

const BIN = path.join(REPO_ROOT, 'cli', 'bin', 'codeyard.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The codeyard CLI's bin as a teacher runs it: a child process with `token`, talking to the
 * portal listening on `port`, its config under `home`, `input` on stdin; killed after 60 s.
 */
export function runCodeyard(port: number, home: string, token: string, args: string[], input = ''): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), CODEYARD_SERVER: `http://localhost:${port}`, CODEYARD_TOKEN: token };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A class portal on SQLite listening on a port of its own (for the CLI's bin), with a teacher. */
export async function listeningClassPortal(env: Record<string, string> = {}): Promise<{ t: TokenPortal & { runtime: MemoryRuntime }; teacher: TestUser; port: number }> {
  const t = await startClassPortal('SQLite', env);
  const teacher = await makeUser(t, 'teacher');
  const port = await freePort();
  await t.codeyard.listen(port, '127.0.0.1');
  return { t, teacher, port };
}
