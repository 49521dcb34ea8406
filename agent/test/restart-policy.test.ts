import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogBuffer } from '../src/log-buffer.js';
import { CRASH_WINDOW_MS, MAX_RESTARTS, RESTART_DELAYS_MS, RestartPolicy } from '../src/restart-policy.js';
import { RunSupervisor } from '../src/run-supervisor.js';

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('RestartPolicy (an always-on repl\'s app)', () => {
  it('restarts only after abnormal exits, later each time, and gives up after a bounded number in the window', () => {
    const policy = new RestartPolicy();
    assert.deepEqual(policy.afterExit({ code: 1, signal: null }), { kind: 'none' }, 'off by default');
    policy.set(true);
    assert.deepEqual(policy.afterExit({ code: 0, signal: null }), { kind: 'none' }, 'exit 0 is the app\'s own choice');
    const t0 = 1_000_000;
    const delays: number[] = [];
    for (let i = 0; i < MAX_RESTARTS; i++) {
      const decision = policy.afterExit({ code: i % 2 ? 1 : null, signal: i % 2 ? null : 'SIGKILL' }, t0 + i * 1000);
      assert.equal(decision.kind, 'restart');
      if (decision.kind === 'restart') delays.push(decision.delayMs);
    }
    assert.deepEqual(delays, RESTART_DELAYS_MS.slice(0, MAX_RESTARTS));
    const gaveUp = policy.afterExit({ code: 1, signal: null }, t0 + MAX_RESTARTS * 1000);
    assert.equal(gaveUp.kind, 'give-up');
    // Crashes older than the window no longer count.
    assert.equal(policy.afterExit({ code: 1, signal: null }, t0 + CRASH_WINDOW_MS + MAX_RESTARTS * 1000).kind, 'restart');
  });

  it('is kept in its file for an agent restarted after its sandbox died, and forgotten on a normal stop', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-policy-')), 'app-policy.json');
    new RestartPolicy(file).set(true);
    assert.equal(new RestartPolicy(file).keepRunning, true);
    new RestartPolicy(file).forget();
    assert.equal(new RestartPolicy(file).keepRunning, false);
    fs.writeFileSync(file, 'not json');
    assert.equal(new RestartPolicy(file).keepRunning, false, 'a mangled file keeps nothing running');
  });
});

describe('RunSupervisor with the keep-running policy (a real app process)', () => {
  it('restarts an app that crashes, counts the restarts, and Stop ends it for good', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-keep-'));
    const logs = new LogBuffer();
    // Crashes on its first run only (a marker file), then keeps running.
    const run = new RunSupervisor({ spec: { run: 'if [ -e ran ]; then echo up $((1 + 1)); exec sleep 300; else touch ran; echo crashing; exit 7; fi' }, cwd: dir, env: process.env, logs });
    run.setPolicy(true);
    run.start();
    await until(() => /^up 2$/m.test(logs.text()), 'the restarted app');
    assert.equal(run.state.running, true);
    assert.equal(run.state.restarts, 1);
    assert.match(logs.text(), /exited with code 7/);
    assert.match(logs.text(), /always on: restarting in/);
    await run.stop(1000);
    await sleep(RESTART_DELAYS_MS[0] + 300);
    assert.equal(run.state.running, false, 'Stop is not a crash: no restart');
    assert.equal(run.state.stopped, true);
  });

  it('leaves a crashed app stopped without the policy, and calls off a waiting restart when the policy is turned off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-keep-'));
    const logs = new LogBuffer();
    const run = new RunSupervisor({ spec: { run: 'exit 3' }, cwd: dir, env: process.env, logs });
    run.start();
    await until(() => !run.state.running && run.state.exitCode === 3, 'the exit');
    await sleep(RESTART_DELAYS_MS[0] + 300);
    assert.equal(run.state.restartAt, undefined);
    assert.doesNotMatch(logs.text(), /restarting/);
    run.setPolicy(true);
    run.start();
    await until(() => run.state.restartAt !== undefined, 'a restart waiting');
    run.setPolicy(false);
    await sleep(RESTART_DELAYS_MS[0] + 300);
    assert.equal(run.state.running, false);
    assert.equal(run.state.restartAt, undefined);
    assert.equal((logs.text().match(/\$ exit 3/g) ?? []).length, 2, 'started twice by Run, never by the policy');
  });
});
