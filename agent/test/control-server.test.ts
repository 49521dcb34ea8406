import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestOverSocket } from '@codeyard/common/http-client';
import type http from 'node:http';
import { type AgentLive, createControlServer, MAX_CONCURRENT_EXECS } from '../src/control-server.js';
import { LogBuffer } from '../src/log-buffer.js';
import { RunSupervisor } from '../src/run-supervisor.js';
import { WorkspaceFiles } from '../src/workspace-files.js';

describe('agent control API', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-ctl-'));
  const socketPath = path.join(dir, 'agent.sock');
  let server: http.Server;

  const activations: unknown[] = [];
  const live: AgentLive = {
    activate: async (request) => {
      activations.push(request);
      live.repl = { ...request.info, replId: request.replId };
      return { state: 'synced', pending: 0, version: 1 };
    },
  };

  before(async () => {
    const logs = new LogBuffer();
    server = createControlServer({
      live,
      run: new RunSupervisor({ spec: { run: 'true' }, cwd: dir, env: process.env, logs }),
      logs,
      files: new WorkspaceFiles(dir),
      workspace: dir,
      env: process.env,
      maxFileBytes: 1024,
      quiesce: async () => ({ ended: 0, left: [] }),
      ideSettingsFile: path.join(dir, 'home', 'User', 'settings.json'),
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(() => server.close());

  const call = (method: string, p: string, body?: string) => requestOverSocket({ socketPath, method, path: p, body, headers: body ? { 'content-type': 'application/json' } : undefined });

  it('becomes a repl once (warm pool): /info answers after /activate, a second /activate is refused', async () => {
    assert.equal((await call('GET', '/info')).status, 404);
    const info = { name: 'Pooled', stack: 'node', port: 3000, previewUrl: 'http://x-3000.localhost/' };
    const first = await call('POST', '/activate', JSON.stringify({ replId: 'abcdefghijkl', sync: { socket: '/nowhere' }, info }));
    assert.equal(first.status, 200);
    assert.deepEqual(JSON.parse((await call('GET', '/info')).body.toString()), { ...info, replId: 'abcdefghijkl' });
    assert.equal((await call('POST', '/activate', JSON.stringify({ replId: 'abcdefghijkl', sync: { socket: '/elsewhere' }, info }))).status, 409);
    assert.equal(activations.length, 1);
  });

  it('keeps a status-bar notice until it expires, and refuses a bad one naming the field', async () => {
    assert.deepEqual(JSON.parse((await call('GET', '/notice')).body.toString()), {}, 'none at first');
    const set = await call('POST', '/notice', JSON.stringify({ text: 'Ms Rivera is viewing this repl', seconds: 60 }));
    assert.equal(set.status, 200);
    const shown = JSON.parse((await call('GET', '/notice')).body.toString()) as { text: string; until: string };
    assert.equal(shown.text, 'Ms Rivera is viewing this repl');
    assert.ok(Date.parse(shown.until) > Date.now() + 50_000);
    const bad = await call('POST', '/notice', JSON.stringify({ text: 'two\nlines', seconds: 60 }));
    assert.equal(bad.status, 400);
    assert.equal((await call('POST', '/notice', JSON.stringify({ text: 'x', seconds: 0 }))).status, 400);
    assert.equal((await call('POST', '/notice', JSON.stringify({ text: 'x' }))).status, 400);
  });

  it('caps the commands running at once', async () => {
    const slow = Array.from({ length: MAX_CONCURRENT_EXECS }, () => call('POST', '/exec', JSON.stringify({ command: 'sleep 1' })));
    await new Promise((r) => setTimeout(r, 200));
    const refused = await call('POST', '/exec', JSON.stringify({ command: 'true' }));
    assert.equal(refused.status, 429);
    assert.match(refused.body.toString(), /already running/);
    for (const res of await Promise.all(slow)) assert.equal(res.status, 200);
    assert.equal((await call('POST', '/exec', JSON.stringify({ command: 'true' }))).status, 200, 'free again');
  });

  it("says whether VS Code was given a display language: its argv.json beside the settings, whatever it is", async () => {
    const locale = async (): Promise<unknown> => JSON.parse((await call('GET', '/ide/locale')).body.toString());
    assert.deepEqual(await locale(), { configured: false }, 'no User folder yet');
    const user = path.join(dir, 'home', 'User');
    fs.mkdirSync(user, { recursive: true });
    assert.deepEqual(await locale(), { configured: false });
    fs.writeFileSync(path.join(user, 'argv.json'), '{ "locale": "de" }');
    assert.deepEqual(await locale(), { configured: true });
    fs.rmSync(path.join(user, 'argv.json'));
    fs.symlinkSync('/nowhere/argv.json', path.join(user, 'argv.json'));
    assert.deepEqual(await locale(), { configured: true }, 'a dangling link counts: code-server decides');
    fs.rmSync(path.join(user, 'argv.json'));
  });

  it('answers bad requests with the shared error shape', async () => {
    const bad = await call('POST', '/exec', '{not json');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body.toString()).error.code, 'INVALID_JSON');
    assert.equal((await call('GET', '/nope')).status, 404);
    assert.equal((await call('PUT', '/files/big', 'x'.repeat(2000))).status, 413);
  });
});
