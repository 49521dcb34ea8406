import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { runExec } from '../src/exec.js';

describe('runExec', () => {
  it('answers exit code, stdout and stderr', async () => {
    const result = await runExec({ command: 'echo out; echo err >&2; exit 7', cwd: os.tmpdir(), env: process.env });
    assert.equal(result.exitCode, 7);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
    assert.equal(result.timedOut, false);
  });

  it('kills the command and its children at the timeout', async () => {
    const t0 = Date.now();
    const result = await runExec({ command: 'sleep 30 & sleep 30', timeoutMs: 300, cwd: os.tmpdir(), env: process.env });
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 < 5000);
  });

  it('caps the output it keeps', async () => {
    const result = await runExec({ command: 'head -c 100000 /dev/zero | tr "\\0" x', outputCap: 1000, cwd: os.tmpdir(), env: process.env });
    assert.equal(result.stdout.length, 1000);
    assert.equal(result.truncated, true);
  });

  it('refuses a timeout out of range', () => {
    assert.throws(() => runExec({ command: 'true', timeoutMs: 0, cwd: os.tmpdir(), env: process.env }), AppError);
    assert.throws(() => runExec({ command: 'true', timeoutMs: 24 * 3600_000, cwd: os.tmpdir(), env: process.env }), AppError);
  });
});
