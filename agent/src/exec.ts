import { spawn } from 'node:child_process';
import { EXEC_DEFAULT_TIMEOUT_MS, EXEC_MAX_TIMEOUT_MS, EXEC_OUTPUT_CAP_BYTES, type ExecResult } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { signalGroup } from '@codeyard/common/process-group';

/** Collects a stream up to a byte cap; what comes after is counted but dropped. */
class CappedOutput {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  truncated = false;
  constructor(readonly cap: number) {}
  add(chunk: Buffer): void {
    const room = this.cap - this.#kept;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part !== chunk) this.truncated = true;
    this.#chunks.push(part);
    this.#kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/**
 * Runs a one-off shell command in the workspace: its own process group, killed whole when the
 * timeout passes; stdout and stderr kept up to a cap each.
 */
export function runExec(options: { command: string; timeoutMs?: number; cwd: string; env: NodeJS.ProcessEnv; outputCap?: number }): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > EXEC_MAX_TIMEOUT_MS) {
    throw new AppError('VALIDATION', `timeoutMs must be a whole number from 1 to ${EXEC_MAX_TIMEOUT_MS}`);
  }
  const cap = options.outputCap ?? EXEC_OUTPUT_CAP_BYTES;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', options.command], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = new CappedOutput(cap);
    const stderr = new CappedOutput(cap);
    let timedOut = false;
    child.stdout!.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.add(chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new AppError('INTERNAL', `could not run the command: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Background jobs the command left in its group do not outlive it.
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      resolve({
        exitCode: code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
        durationMs: Date.now() - started,
      });
    });
  });
}
