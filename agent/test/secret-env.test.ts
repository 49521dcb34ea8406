import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { AgentClient } from '@codeyard/common/agent/client';
import { createControlServer } from '../src/control-server.js';
import { LogBuffer } from '../src/log-buffer.js';
import { RunSupervisor } from '../src/run-supervisor.js';
import { SecretEnv } from '../src/secret-env.js';
import { WorkspaceFiles } from '../src/workspace-files.js';

describe("the repl's secrets in the agent", () => {
  it('sets and replaces the whole set, and gives back what a secret shadowed when it goes', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'k', NODE_OPTIONS: '--max-old-space-size=512' };
    const secrets = new SecretEnv(env);
    assert.deepEqual(secrets.get(), { version: 0, revision: 0, variables: {} });
    assert.deepEqual(secrets.set({ API_KEY: 'one', NODE_OPTIONS: '--trace-warnings' }), { version: 1, revision: 0, variables: { API_KEY: 'one', NODE_OPTIONS: '--trace-warnings' } });
    assert.deepEqual(env, { KEEP: 'k', API_KEY: 'one', NODE_OPTIONS: '--trace-warnings' });
    secrets.set({ API_KEY: 'two' });
    assert.deepEqual(env, { KEEP: 'k', API_KEY: 'two', NODE_OPTIONS: '--max-old-space-size=512' }, "the repl's own NODE_OPTIONS is back");
    assert.deepEqual(secrets.set({}), { version: 3, revision: 0, variables: {} });
    assert.deepEqual(env, { KEEP: 'k', NODE_OPTIONS: '--max-old-space-size=512' });
  });

  it("removes a secret named like an object's own member (constructor, toString) when it goes", () => {
    const env: NodeJS.ProcessEnv = {};
    const secrets = new SecretEnv(env);
    secrets.set({ constructor: 'c', toString: 't' });
    assert.deepEqual(env, { constructor: 'c', toString: 't' });
    secrets.set({ toString: 't' });
    assert.deepEqual(env, { toString: 't' }, 'constructor is gone');
    secrets.set({});
    assert.deepEqual(env, {});
  });

  it('keeps the newest revision whatever order the sets come in: an older one is not taken, an equal or newer one is', () => {
    const env: NodeJS.ProcessEnv = {};
    const secrets = new SecretEnv(env);
    assert.deepEqual(secrets.set({ TOKEN: 'three' }, 3), { version: 1, revision: 3, variables: { TOKEN: 'three' } });
    assert.deepEqual(secrets.set({ TOKEN: 'two', OLD: 'x' }, 2), { version: 1, revision: 3, variables: { TOKEN: 'three' } }, 'a late push answers what is held');
    assert.deepEqual(env, { TOKEN: 'three' }, 'the environment untouched');
    assert.equal(secrets.set({ TOKEN: 'three again' }, 3).variables.TOKEN, 'three again', 'the same revision is taken (another replica pushing it at a start)');
    assert.deepEqual(secrets.set({}, 4), { version: 3, revision: 4, variables: {} });
    assert.deepEqual(secrets.set({ UNNUMBERED: 'u' }), { version: 4, revision: 4, variables: { UNNUMBERED: 'u' } }, 'a set without a revision is taken and leaves the revision as it was');
  });

  it('gives the environment without the secrets, what they replaced put back (a grading command)', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'k', NODE_OPTIONS: 'own' };
    const secrets = new SecretEnv(env);
    secrets.set({ API_KEY: 'x', NODE_OPTIONS: '--require=evil.js' });
    assert.deepEqual(secrets.withoutSecrets(), { KEEP: 'k', NODE_OPTIONS: 'own' });
    assert.equal(env.API_KEY, 'x', 'the shared environment keeps them');
  });

  describe('over the control API', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-secrets-'));
    const socketPath = path.join(dir, 'agent.sock');
    // The agent's one environment object, as main.ts shares it with Run and exec.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    const logs = new LogBuffer();
    const run = new RunSupervisor({ spec: { run: 'echo "app sees [$API_KEY]"' }, cwd: dir, env, logs });
    let server: http.Server;
    const agent = new AgentClient(socketPath);
    before(async () => {
      server = createControlServer({ live: {}, run, logs, files: new WorkspaceFiles(dir), workspace: dir, env, maxFileBytes: 1024, quiesce: async () => ({ ended: 0, left: [] }) });
      await new Promise<void>((r) => server.listen(socketPath, r));
    });
    after(() => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('gives the set to the next exec and the next Run, and answers GET /env with it', async () => {
      assert.equal((await agent.call('exec', { command: 'echo "[$API_KEY]"' })).stdout, '[]\n');
      const set = await agent.call('setEnv', { variables: { API_KEY: 's3cr3t value' } });
      assert.equal(set.version, 1);
      assert.deepEqual(await agent.call('env', undefined), { version: 1, revision: 0, variables: { API_KEY: 's3cr3t value' } });
      assert.equal((await agent.call('exec', { command: 'echo "[$API_KEY]"' })).stdout, '[s3cr3t value]\n');
      await agent.call('startApp', undefined);
      for (let i = 0; i < 100 && !/app sees \[[^$]/.test(logs.text()); i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(logs.text(), /app sees \[s3cr3t value\]/);
      assert.equal((await agent.call('exec', { command: 'echo "[$API_KEY]"', withoutSecrets: true })).stdout, '[]\n', 'a command asked without them');
      await agent.call('setEnv', { variables: {} });
      assert.equal((await agent.call('exec', { command: 'echo "[$API_KEY]"' })).stdout, '[]\n', 'a deleted secret is gone from the next command');
    });

    it('PUT /env with an older revision changes nothing and answers the revision held; GET /env reports it', async () => {
      const newer = await agent.call('setEnv', { variables: { API_KEY: 'newer' }, revision: 7 });
      const late = await agent.call('setEnv', { variables: { API_KEY: 'older' }, revision: 6 });
      assert.deepEqual([late.revision, late.version, late.variables], [7, newer.version, { API_KEY: 'newer' }], 'the caller sees it was late');
      assert.deepEqual(await agent.call('env', undefined), newer);
      assert.equal((await agent.call('exec', { command: 'echo "[$API_KEY]"' })).stdout, '[newer]\n');
      const equal = await agent.call('setEnv', { variables: {}, revision: 7 });
      assert.deepEqual([equal.revision, equal.version, equal.variables], [7, newer.version + 1, {}]);
      for (const revision of [-1, 1.5, '8']) {
        await assert.rejects(agent.call('setEnv', { variables: {}, revision } as never), (err: Error & { status?: number }) => err.status === 400 && /revision must be a whole number of at least 0/.test(err.message));
      }
      assert.equal((await agent.call('env', undefined)).revision, 7);
    });

    it('refuses a bad set with a 400 naming what is wrong, and keeps the one it had', async () => {
      await agent.call('setEnv', { variables: { TOKEN: 'kept' } });
      await assert.rejects(agent.call('setEnv', { variables: { PATH: '/evil' } }), (err: Error & { status?: number }) => err.status === 400 && /set by the repl itself/.test(err.message));
      await assert.rejects(agent.call('setEnv', { variables: { 'A-B': 'x' } }), (err: Error & { status?: number }) => err.status === 400 && /not a variable name/.test(err.message));
      assert.deepEqual((await agent.call('env', undefined)).variables, { TOKEN: 'kept' });
      assert.equal(env.PATH, process.env.PATH);
    });
  });
});
