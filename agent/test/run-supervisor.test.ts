import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processExists } from '@codeyard/common/process-group';
import { LogBuffer } from '../src/log-buffer.js';
import { RunSupervisor } from '../src/run-supervisor.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cy-run-'));
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('RunSupervisor', () => {
  it('runs the command, keeps its output, records the exit code', async () => {
    const dir = tempDir();
    const logs = new LogBuffer({ file: path.join(dir, 'state', 'app.log') });
    const run = new RunSupervisor({ spec: { run: 'echo hello; echo oops >&2; exit 3' }, cwd: dir, env: process.env, logs });
    const started = run.start();
    assert.equal(started.running, true);
    await until(() => !run.state.running, 'exit');
    assert.equal(run.state.exitCode, 3);
    assert.equal(run.state.stopped, false);
    assert.match(logs.text(), /hello/);
    assert.match(logs.text(), /oops/);
    assert.match(logs.text(), /exited with code 3/);
    await logs.close();
    assert.match(fs.readFileSync(path.join(dir, 'state', 'app.log'), 'utf8'), /hello/);
  });

  it('stops the whole process group, children included, with SIGKILL after the grace period', async () => {
    const dir = tempDir();
    const logs = new LogBuffer();
    // The child ignores SIGTERM and spawns a grandchild that does too.
    const script = `trap '' TERM; (trap '' TERM; sleep 300) & echo "grandchild $!"; sleep 300`;
    const run = new RunSupervisor({ spec: { run: script }, cwd: dir, env: process.env, logs });
    run.start();
    await until(() => /grandchild \d+/.test(logs.text()), 'grandchild pid');
    const grandchild = Number(/grandchild (\d+)/.exec(logs.text())![1]);
    assert.ok(processExists(grandchild));
    const t0 = Date.now();
    const state = await run.stop(300);
    assert.ok(Date.now() - t0 >= 250, 'waited for the grace period');
    assert.equal(state.running, false);
    assert.equal(state.stopped, true);
    await until(() => !processExists(grandchild), 'grandchild gone', 2000);
  });

  it('reinstalls dependencies in the background after a restore, and Run redoes a half-done install', async () => {
    const dir = tempDir();
    const logs = new LogBuffer();
    const spec = { install: 'sleep 0.3; mkdir -p deps && echo ok > deps/marker', installCreates: 'deps', run: 'cat deps/marker' };
    const run = new RunSupervisor({ spec, cwd: dir, env: process.env, logs });
    assert.equal(run.needsInstall, true);
    run.installInBackground();
    await until(() => fs.existsSync(path.join(dir, 'deps', 'marker')), 'the background install');
    assert.equal(run.needsInstall, false);
    assert.match(logs.text(), /restoring dependencies after a restore/);
    assert.equal(run.state.running, false, 'an install is not the app');

    // Run pressed while the background install is still going: it is redone as part of Run.
    fs.rmSync(path.join(dir, 'deps'), { recursive: true });
    run.installInBackground();
    run.start();
    await until(() => !run.state.running, 'the run');
    assert.equal(run.state.exitCode, 0);
    assert.match(logs.text(), /ok\n/);
  });

  it('answers the same state when Run is pressed twice', () => {
    const dir = tempDir();
    const run = new RunSupervisor({ spec: { run: 'sleep 5' }, cwd: dir, env: process.env, logs: new LogBuffer() });
    const first = run.start();
    const second = run.start();
    assert.equal(second.pid, first.pid);
    return run.stop(100).then(() => undefined);
  });

  it('restarts a running app as a new process, its whole group ended first, and starts a stopped one', async () => {
    const dir = tempDir();
    const logs = new LogBuffer();
    const run = new RunSupervisor({ spec: { run: '(sleep 300) & echo "child $!"; sleep 300' }, cwd: dir, env: process.env, logs });
    const first = run.start();
    await until(() => /child \d+/.test(logs.text()), 'the first run\'s child');
    const child = Number(/child (\d+)/.exec(logs.text())![1]);
    const second = await run.restart(300);
    assert.equal(second.running, true);
    assert.notEqual(second.pid, first.pid);
    // Signalled with its group; an orphan's exit is reaped by init a moment later (slower on a busy machine).
    await until(() => !processExists(child), "the first run's child went with it", 2000);
    assert.match(logs.text(), /restarting[\s\S]*stopped[\s\S]*\$ \(sleep 300\)/);
    // Two at once (Run pressed in two tabs): one app in the end.
    const [a, b] = await Promise.all([run.restart(300), run.restart(300)]);
    assert.equal(run.state.running, true);
    assert.ok([a.pid, b.pid].includes(run.state.pid));
    await run.stop(100);
    // Not running: Restart is Run.
    assert.equal((await run.restart(100)).running, true);
    await run.stop(100);
  });

  it('runs install first when what it creates is missing, and not again after', async () => {
    const dir = tempDir();
    const logs = new LogBuffer();
    const spec = { run: 'echo running', install: 'mkdir deps && echo installing', installCreates: 'deps' };
    const run = new RunSupervisor({ spec, cwd: dir, env: process.env, logs });
    run.start();
    await until(() => !run.state.running, 'first run');
    assert.match(logs.text(), /installing[\s\S]*running/);
    const before = logs.text().length;
    run.start();
    await until(() => !run.state.running, 'second run');
    assert.doesNotMatch(logs.text().slice(before), /installing/);
  });

  it('ends an app left behind by an agent that was killed', async () => {
    const dir = tempDir();
    const stateFile = path.join(dir, 'app.json');
    const first = new RunSupervisor({ spec: { run: 'sleep 300' }, cwd: dir, env: process.env, logs: new LogBuffer(), stateFile });
    const { pid } = first.start();
    assert.ok(pid && processExists(pid));
    // A new supervisor over the same state file, as after `kill -9` of the agent.
    const second = new RunSupervisor({ spec: { run: 'sleep 300' }, cwd: dir, env: process.env, logs: new LogBuffer(), stateFile });
    await until(() => !processExists(pid), 'orphan ended', 2000);
    assert.equal(second.state.running, false);
  });

  it('does not kill an unrelated process group recorded under a reused pid', async () => {
    const dir = tempDir();
    const stateFile = path.join(dir, 'app.json');
    const { spawn } = await import('node:child_process');
    const bystander = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    fs.writeFileSync(stateFile, JSON.stringify({ running: true, pid: bystander.pid, runId: 'not-its-marker' }));
    new RunSupervisor({ spec: { run: 'true' }, cwd: dir, env: process.env, logs: new LogBuffer(), stateFile });
    await sleep(100);
    assert.ok(processExists(bystander.pid!));
    process.kill(-bystander.pid!, 'SIGKILL');
  });
});
