import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '@codeyard/common/agent/client';
import type { AgentConfig } from '@codeyard/common/agent/config';
import { relayDouble } from './helpers/relay-double.js';

const AGENT_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The real agent started as a warm-pool one (before any repl exists, so without a repl id in its
 * environment), then activated: what it starts from then on sees the repl's id, as in a repl
 * started cold.
 */
describe('a warm-pool agent once activated', { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-activation-'));
  const workspace = path.join(dir, 'workspace');
  const socketPath = path.join(dir, 'agent.sock');
  const client = new AgentClient(socketPath);
  let agent: ChildProcess;
  let relay: Awaited<ReturnType<typeof relayDouble>>;

  before(async () => {
    fs.mkdirSync(workspace);
    relay = await relayDouble(path.join(dir, 'store.sock'));
    const config: AgentConfig = {
      replId: 'warm-1',
      pooled: true,
      workspace,
      controlSocket: socketPath,
      tunnelSocket: path.join(dir, 'tunnel.sock'),
      stateDir: path.join(dir, 'state'),
      app: { run: 'printf %s "$CODEYARD_REPL_ID" > app-saw.txt; exec sleep 30' },
      maxFileBytes: 1024,
      info: { name: '', stack: 'node', port: 3000, previewUrl: '' },
    };
    fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify(config));
    // As a warm sandbox's environment is: no repl id yet.
    const { CODEYARD_REPL_ID: _none, ...env } = process.env;
    agent = spawn(process.execPath, [AGENT_MAIN, path.join(dir, 'agent.json')], { env, stdio: 'ignore' });
    await until('the agent', async () => ((await client.healthy()) ? true : undefined));
  });
  after(async () => {
    if (agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives one-off commands and the app the repl id it was activated with', async () => {
    const before = await client.exec({ command: 'printf %s "${CODEYARD_REPL_ID-unset}"' });
    assert.equal(before.stdout, 'unset', 'a warm agent has no repl yet');

    const info = { name: 'From the pool', stack: 'node', port: 3000, previewUrl: 'http://abcdefghijkl-3000.localhost/' };
    await client.activate({ replId: 'abcdefghijkl', sync: { socket: path.join(dir, 'store.sock') }, info });
    assert.deepEqual(await client.info(), { ...info, replId: 'abcdefghijkl' }, 'what the extension reads for new terminals');

    const ran = await client.exec({ command: 'printf %s "$CODEYARD_REPL_ID"' });
    assert.equal(ran.stdout, 'abcdefghijkl', 'a one-off command');
    assert.equal((await client.startApp()).running, true);
    const seen = await until('the app to write what it saw', () => {
      const text = fs.readFileSync(path.join(workspace, 'app-saw.txt'), 'utf8');
      return text || undefined;
    });
    assert.equal(seen, 'abcdefghijkl', 'the app started by Run');
    await client.stopApp();
  });
});
