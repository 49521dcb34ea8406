import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentClient, type CallOptions } from '@codeyard/common/agent/client';
import type { SyncStatus } from '@codeyard/common/agent/protocol';
import { AGENT_ROUTES, type AgentRouteName, type RouteInput, type RouteOutput } from '@codeyard/common/agent/routes';
import { AppError } from '@codeyard/common/errors';
import { requestOverSocket } from '@codeyard/common/http-client';
import { type AgentLive, createControlServer } from '../src/control-server.js';
import { LogBuffer } from '../src/log-buffer.js';
import { RunSupervisor } from '../src/run-supervisor.js';
import type { SyncEngine } from '../src/sync/sync-engine.js';
import { WorkspaceFiles } from '../src/workspace-files.js';

/** The common client, noting which routes it called (to check that every route was). */
class RecordingClient extends AgentClient {
  readonly called = new Set<AgentRouteName>();
  override call<N extends AgentRouteName>(name: N, input: RouteInput<N>, options?: CallOptions): Promise<RouteOutput<N>> {
    this.called.add(name);
    return super.call(name, input, options);
  }
}

/** A double of the agent's sync engine: the status it reports and the flushes asked of it. */
function syncDouble(): SyncEngine & { flushes: number } {
  const status: SyncStatus = { state: 'synced', pending: 0, version: 7 };
  const double = { status, flushes: 0, flush: async () => (double.flushes++, { ...status, version: 8 }) };
  return double as unknown as SyncEngine & { flushes: number };
}

describe('the agent contract: the common client against the real control server', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-contract-'));
  const workspace = path.join(dir, 'workspace');
  const socketPath = path.join(dir, 'agent.sock');
  const sync = syncDouble();
  const live: AgentLive = {
    activate: async (request) => {
      live.repl = { ...request.info, replId: request.replId };
      live.sync = sync;
      return sync.status;
    },
  };
  let quiesced = 0;
  let server: http.Server;
  const client = new RecordingClient({ kind: 'unix', socketPath }, { maxFileBytes: 1024 });

  before(async () => {
    fs.mkdirSync(workspace);
    const logs = new LogBuffer();
    server = createControlServer({
      live,
      run: new RunSupervisor({ spec: { run: 'echo hello from the app; sleep 30' }, cwd: workspace, env: process.env, logs }),
      logs,
      files: new WorkspaceFiles(workspace),
      workspace,
      env: process.env,
      maxFileBytes: 1024,
      quiesce: async () => (quiesced++, { ended: 0, left: [] }),
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every route of the table through the client', async () => {
    assert.equal(await client.healthy(), true);
    await assert.rejects(client.info(), (err: unknown) => err instanceof AppError && err.status === 404, 'a warm sandbox has no repl yet');
    await assert.rejects(client.sync(), (err: unknown) => err instanceof AppError && err.status === 404);

    const info = { name: 'Mine', stack: 'node', port: 3000, previewUrl: 'http://abcdefghijkl-3000.localhost/' };
    assert.deepEqual(await client.activate({ replId: 'abcdefghijkl', sync: { socket: '/nowhere' }, info }), sync.status);
    assert.deepEqual(await client.info(), { ...info, replId: 'abcdefghijkl' });
    assert.deepEqual(await client.ideLocale(), { configured: true }, 'an agent running no VS Code leaves its page to code-server');
    assert.equal((await client.sync()).version, 7);
    assert.equal((await client.flushSync()).version, 8);
    assert.equal(sync.flushes, 1);

    assert.equal((await client.app()).running, false);
    assert.equal((await client.startApp()).running, true);
    for (let i = 0; i < 50 && !(await client.call('appLogs', undefined)).includes('hello from the app'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(await client.call('appLogs', undefined), /hello from the app/);
    const first = await client.app();
    const again = await client.restartApp();
    assert.equal(again.running, true, 'Restart leaves the app running');
    assert.notEqual(again.pid, first.pid, 'as a new process');
    assert.equal((await client.stopApp()).running, false);
    assert.equal((await client.setAppPolicy({ keepRunning: false })).running, false);
    assert.deepEqual(await client.quiesce(), { ended: 0, left: [] });
    assert.equal(quiesced, 1);
    assert.deepEqual(await client.notice(), {});
    assert.equal((await client.setNotice({ text: 'Ms Rivera is viewing this repl', seconds: 60 })).text, 'Ms Rivera is viewing this repl');
    assert.equal((await client.notice()).text, 'Ms Rivera is viewing this repl');

    const ran = await client.exec({ command: 'echo "$((6 * 7))"', timeoutMs: 5000 });
    assert.equal(ran.stdout, '42\n');
    assert.equal(ran.exitCode, 0);
    // The repl's secrets (this test's agent shares the test's process.env: set, used, cleared).
    assert.deepEqual(await client.env(), { version: 0, revision: 0, variables: {} });
    assert.deepEqual(await client.setEnv({ CONTRACT_SECRET: 'x y' }, 1), { version: 1, revision: 1, variables: { CONTRACT_SECRET: 'x y' } });
    assert.equal((await client.exec({ command: 'echo "$CONTRACT_SECRET"' })).stdout, 'x y\n');
    assert.deepEqual(await client.setEnv({ CONTRACT_SECRET: 'late' }, 0), { version: 1, revision: 1, variables: { CONTRACT_SECRET: 'x y' } }, 'an older revision is not taken');
    assert.equal((await client.setEnv({}, 2)).version, 2);
    assert.equal(process.env.CONTRACT_SECRET, undefined);

    // A name that needs encoding on the wire arrives as it was written.
    assert.deepEqual(await client.writeFile('src/a b%.txt', Buffer.from('hi')), { path: 'src/a b%.txt', created: true });
    assert.deepEqual(await client.writeFile('src/a b%.txt', Buffer.from('hey')), { path: 'src/a b%.txt', created: false });
    assert.equal((await client.readFile('src/a b%.txt')).toString(), 'hey');
    assert.deepEqual((await client.listFiles('src')).map((entry) => [entry.name, entry.type, entry.size]), [['a b%.txt', 'file', 3]]);
    await client.deleteFile('src/a b%.txt');
    assert.deepEqual(await client.listFiles('src'), []);

    assert.deepEqual([...client.called].sort(), Object.keys(AGENT_ROUTES).sort(), 'every route in the table was called');
  });

  const raw = (method: string, p: string, body?: string) => requestOverSocket({ socketPath, method, path: p, body, headers: body ? { 'content-type': 'application/json' } : undefined });
  const errorOf = (res: { body: Buffer }): { code: string; message: string } => JSON.parse(res.body.toString()).error;

  it('answers 404 for a path it does not serve and 405 (with Allow) for a method a path does not take', async () => {
    const unknown = await raw('GET', '/nope');
    assert.equal(unknown.status, 404);
    assert.match(errorOf(unknown).message, /no agent route GET \/nope/);
    const wrong = await raw('DELETE', '/app');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET');
    const files = await raw('POST', '/files/a.txt');
    assert.equal(files.status, 405);
    assert.equal(files.headers.allow, 'GET, PUT, DELETE');
  });

  it('refuses a bad body with a 400 that names the field, before doing anything', async () => {
    const exec = await raw('POST', '/exec', JSON.stringify({ command: '' }));
    assert.equal(exec.status, 400);
    assert.equal(errorOf(exec).code, 'VALIDATION');
    assert.match(errorOf(exec).message, /^command must be a non-empty string/);
    const timeout = await raw('POST', '/exec', JSON.stringify({ command: 'true', timeoutMs: 'soon' }));
    assert.match(errorOf(timeout).message, /^timeoutMs must be a whole number from 1 to/);
    const policy = await raw('POST', '/app/policy', JSON.stringify({ keepRunning: 'yes' }));
    assert.equal(policy.status, 400);
    assert.match(errorOf(policy).message, /^keepRunning must be true or false/);
    assert.match(errorOf(await raw('POST', '/app/policy', '{}')).message, /needs keepRunning/);
    const notJson = await raw('POST', '/exec', '{not json');
    assert.equal(errorOf(notJson).code, 'INVALID_JSON');
    const big = await raw('PUT', '/files/big', 'x'.repeat(2000));
    assert.equal(big.status, 413);
  });
});

describe('activating a warm-pool agent', () => {
  it('refuses a malformed request without using up the activation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-activate-'));
    const socketPath = path.join(dir, 'agent.sock');
    const activations: unknown[] = [];
    const live: AgentLive = { activate: async (request) => (activations.push(request), { state: 'synced', pending: 0, version: 0 }) };
    const logs = new LogBuffer();
    const server = createControlServer({ live, run: new RunSupervisor({ spec: { run: 'true' }, cwd: dir, env: process.env, logs }), logs, files: new WorkspaceFiles(dir), workspace: dir, env: process.env, maxFileBytes: 1024, quiesce: async () => ({ ended: 0, left: [] }) });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      const client = new AgentClient(socketPath);
      const info = { name: 'x', stack: 'node', port: 3000, previewUrl: '' };
      await assert.rejects(
        client.activate({ replId: 'abcdefghijkl', sync: { socket: '/s' }, info: { ...info, port: -1 } }),
        (err: unknown) => err instanceof AppError && err.status === 400 && /^info\.port must be a whole number from 0 to 65535/.test(err.message),
      );
      assert.equal(activations.length, 0);
      await client.activate({ replId: 'abcdefghijkl', sync: { socket: '/s' }, info });
      await assert.rejects(client.activate({ replId: 'abcdefghijkl', sync: { socket: '/s' }, info }), (err: unknown) => err instanceof AppError && err.status === 409);
      assert.equal(activations.length, 1);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
