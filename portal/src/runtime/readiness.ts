import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncStatus } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';

/** How long a sandbox may take to answer, reset whenever its restore moves on. */
export const READY_TIMEOUT_MS = 60_000;

/** What a driver can tell about one sandbox while it starts. */
export interface ReadinessProbe {
  /** Do the agent and the IDE both answer? */
  healthy(): Promise<boolean>;
  /** Why the sandbox cannot come up any more (a process of it ended), or undefined. */
  ended(): string | undefined;
  /** The agent's workspace sync (undefined while it does not answer). */
  sync(): Promise<SyncStatus | undefined>;
  /** Where the logs are, for the error messages. */
  logs: string;
}

export interface ReadinessOptions {
  /** Shows what is happening (restore progress, a store that does not answer). */
  step?: (text: string) => void;
  /** A stop of the repl cuts the wait short. */
  signal?: AbortSignal;
  /** Called while the agent restores files: a start cut short then left a partial copy. */
  restoring?: () => void;
  timeoutMs?: number;
}

/**
 * Waits for a sandbox's agent and IDE to answer; driver-neutral (the process runtime probes unix
 * sockets, another driver its pod). The agent restores the files first: while the restore moves,
 * its progress is the step shown and the deadline keeps moving too.
 */
export async function waitReady(probe: ReadinessProbe, options: ReadinessOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS;
  let deadline = Date.now() + timeoutMs;
  let restored = -1;
  let problem = '';
  while (Date.now() < deadline) {
    if (options.signal?.aborted) throw startCancelled();
    if (await probe.healthy()) return;
    const ended = probe.ended();
    if (ended) throw new Error(ended);
    const sync = await probe.sync();
    if (sync?.state === 'degraded' && sync.permanent) throw new Error(sync.reason ?? 'the workspace could not be restored');
    if (sync?.state === 'restoring') options.restoring?.();
    if (sync?.state === 'restoring' && sync.restore) {
      // Only a new high mark is progress: a restore that starts over and over is not.
      if (sync.restore.done > restored) deadline = Math.max(deadline, Date.now() + timeoutMs);
      restored = Math.max(restored, sync.restore.done);
      options.step?.(`restoring files (${sync.restore.done} of ${sync.restore.total})`);
    } else if (sync?.state === 'degraded') {
      problem = sync.reason ?? 'the object store does not answer';
      options.step?.(`waiting for the object store: ${problem}`);
    }
    await sleep(100);
  }
  if (problem) throw new Error(`the files could not be restored: ${problem}. They are safe in the store; try again once it answers`);
  throw new Error(`VS Code or the repl agent did not answer within ${timeoutMs / 1000}s; see ${probe.logs}`);
}

function startCancelled(): AppError {
  return new AppError('CONFLICT', 'the start was cancelled: the repl is being stopped');
}

/** Rejects when `signal` aborts (a start cut short by a stop); never settles without one. */
export function cancelled(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal?.aborted) reject(startCancelled());
    else signal?.addEventListener('abort', () => reject(startCancelled()), { once: true });
  });
}
