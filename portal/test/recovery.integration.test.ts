import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { processExists } from '@codeyard/common/process-group';
import { eventually, freePort, request } from './helpers/http.js';
import { REPO_ROOT } from './helpers/test-portal.js';

const MAIN = path.join(REPO_ROOT, 'portal', 'dist', 'src', 'main.js');

/** `npm start` as a separate process, so it can be killed like a real one. */
async function startPortalProcess(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_LOG_LEVEL: 'warn', CODEYARD_AUTH: 'anonymous' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`portal did not start:\n${output}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Codeyard is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`portal exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('portal restarts and crashes leave user files intact', { timeout: 300_000 }, () => {
  // As in a fresh clone: the data folder does not exist yet, and the portal makes it.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-rec-'));
  fs.chmodSync(parent, 0o755);
  const dataDir = path.join(parent, '.codeyard');
  let port: number;
  let portal: ChildProcess | undefined;
  let token: string;
  let id: string;

  const api = (method: string, p: string, body?: string) =>
    request(port, { method, path: p, body, headers: { authorization: `Bearer ${token}`, ...(body && !p.includes('/files/') ? { 'content-type': 'application/json' } : {}) } });
  const preview = () => request(port, { host: `${id}-3000.localhost:${port}`, path: '/' });
  const pids = () => JSON.parse(fs.readFileSync(path.join(dataDir, 'repls', id, 'pids.json'), 'utf8')) as { agentPid: number };

  after(async () => {
    if (portal && portal.exitCode === null) {
      portal.kill('SIGTERM');
      await exited(portal);
    }
  });

  it('takes its sandboxes down with it on kill -9; the next portal saves their files', async () => {
    port = await freePort();
    portal = await startPortalProcess(dataDir, port);
    if (process.getuid?.() === 0) assert.equal(fs.statSync(dataDir).mode & 0o777, 0o711, 'repl users can pass through the data folder, not list it');
    token = (await request(port, { method: 'POST', path: '/api/session' })).json().token;
    id = (await api('POST', '/api/repls', '{"stack":"node"}')).json().id;
    assert.equal((await api('POST', `/api/repls/${id}/app/start`)).status, 200);
    await eventually(async () => (await preview()).status === 200, 'the app');
    assert.equal((await api('PUT', `/api/repls/${id}/files/saved-before-crash.txt`, 'precious')).status, 201);
    const { agentPid } = pids();

    portal.kill('SIGKILL');
    await exited(portal);
    // --die-with-parent: no sandbox outlives the portal that made it.
    await eventually(async () => !processExists(agentPid), 'the sandboxes to end', 10_000);

    portal = await startPortalProcess(dataDir, port);
    const repl = (await api('GET', `/api/repls/${id}`)).json();
    assert.equal(repl.status, 'stopped');
    assert.equal(fs.existsSync(path.join(dataDir, 'repls', id, 'workspace')), false, 'saved to the store, then the local copy removed');
    assert.equal((await api('GET', `/api/repls/${id}/files/saved-before-crash.txt`)).body, 'precious');
  });

  it('stops every repl with its files saved on SIGTERM', async () => {
    assert.equal((await api('POST', `/api/repls/${id}/start`)).json().status, 'running');
    assert.equal((await api('PUT', `/api/repls/${id}/files/last-words.txt`, 'goodbye')).status, 201);
    const { agentPid } = pids();
    portal!.kill('SIGTERM');
    assert.equal(await exited(portal!), 0);
    assert.equal(processExists(agentPid), false, 'no repl process outlives a clean shutdown');

    portal = await startPortalProcess(dataDir, port);
    assert.equal((await api('GET', `/api/repls/${id}`)).json().status, 'stopped');
    assert.equal((await api('GET', `/api/repls/${id}/files/last-words.txt`)).body, 'goodbye');
  });
});
