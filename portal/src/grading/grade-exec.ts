import type { ExecResult } from '@codeyard/common/agent/protocol';
import type { GradeStatus } from '@codeyard/common/api/classes';
import { AppError, describeError } from '@codeyard/common/errors';
import { isServerFull } from '../capacity/capacity-gate.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';

/** The most output kept per result: the end of stdout and stderr, where test runners sum up. */
export const OUTPUT_TAIL_BYTES = 4096;

/**
 * Whether anyone used the repl (IDE, preview, app traffic, an API call), through this portal or
 * another, at or after `since` (ms since the epoch). The grader's own exec is not use: it goes
 * to the repl service directly, past the proxy and the API.
 */
export type UsedSince = (replId: string, since: number) => Promise<boolean>;

export interface GradeExecOptions {
  repls: Pick<ReplService, 'record' | 'start' | 'stop'> & { apps: Pick<ReplService['apps'], 'exec'> };
  runtime: Pick<Runtime, 'status' | 'watch'>;
  /** How long one command may run. */
  timeoutMs: number;
  /** How long a stopped repl may wait in the admission line before its result is an error. */
  startWaitMs: number;
  /** None: nothing tells use apart, and a repl started for grading is always stopped after. */
  usedSince?: UsedSince;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface GradeOutcome {
  status: GradeStatus;
  exitCode?: number | null;
  output: string;
}

/**
 * Runs the command in the repl, inside its sandbox (the agent's exec; never on the host), and
 * judges the exit: 0 a pass, any other a fail, a timeout an error. A stopped repl is started for
 * it through the account limits and the machine's admission like any start (a full machine
 * queues it), and stopped again after, unless someone opened it meanwhile (the student, or the
 * teacher, in the IDE, the app or the preview): then it is theirs and stays running. A repl
 * that was running, or being started by someone else, is left as it was.
 */
export async function gradeIn(o: GradeExecOptions, replId: string, command: string): Promise<GradeOutcome> {
  const record = await o.repls.record(replId);
  if (!record) throw new AppError('NOT_FOUND', `the repl ${replId} is gone`);
  const state = o.runtime.status(replId).state;
  const wasRunning = state === 'running' || state === 'starting';
  const startedAt = Date.now();
  if (state === 'starting') await waitForRunning(o.runtime, replId, o.startWaitMs);
  else if (!wasRunning) await startForGrading(o, record.owner, replId);
  try {
    // Without the student's secrets: the output goes to the teacher.
    const result = await o.repls.apps.exec(record.owner, replId, { command, timeoutMs: o.timeoutMs, withoutSecrets: true });
    const output = outputTail(result);
    if (result.timedOut) return { status: 'error', exitCode: result.exitCode, output: `${output}\n[timed out after ${Math.round(o.timeoutMs / 1000)} s]`.trimStart() };
    return { status: result.exitCode === 0 ? 'pass' : 'fail', exitCode: result.exitCode, output };
  } finally {
    if (!wasRunning) await stopUnlessUsed(o, record.owner, replId, startedAt);
  }
}

/** A repl started only to be graded goes back to how it was (its files are saved on stop), unless used meanwhile. */
async function stopUnlessUsed(o: GradeExecOptions, owner: string, replId: string, since: number): Promise<void> {
  try {
    if (o.usedSince && (await o.usedSince(replId, since))) {
      o.log.info({ replId }, 'left running after grading: someone opened it meanwhile');
      return;
    }
    await o.repls.stop(owner, replId);
  } catch (err) {
    o.log.error({ replId, err: describeError(err) }, 'could not stop a repl after grading');
  }
}

/** Starts a stopped repl; when the machine is full it waits its turn in the admission line. */
async function startForGrading(o: GradeExecOptions, owner: string, replId: string): Promise<void> {
  try {
    await o.repls.start(owner, replId);
    return;
  } catch (err) {
    if (!isServerFull(err)) throw err;
  }
  await waitForRunning(o.runtime, replId, o.startWaitMs);
}

/** Resolves once the repl runs; rejects when it fails to, or after `timeoutMs`. */
function waitForRunning(runtime: Pick<Runtime, 'status' | 'watch'>, replId: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let unwatch = (): void => undefined;
    const timer = setTimeout(() => done(new AppError('SERVER_FULL', `the server stayed full for ${Math.round(timeoutMs / 60_000)} min; grade again when fewer repls run`)), timeoutMs);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      unwatch();
      if (err) reject(err);
      else resolve();
    };
    unwatch = runtime.watch((id, status) => {
      if (id !== replId) return;
      if (status.state === 'running') done();
      else if (status.state === 'error') done(new AppError('UNAVAILABLE', `the repl could not start: ${status.error ?? 'unknown error'}`));
    });
    if (runtime.status(replId).state === 'running') done();
  });
}

/** The last {@link OUTPUT_TAIL_BYTES} of stdout then stderr (cut on a character boundary). */
export function outputTail(result: Pick<ExecResult, 'stdout' | 'stderr'>): string {
  const all = [result.stdout, result.stderr].filter(Boolean).join(result.stdout.endsWith('\n') || !result.stdout ? '' : '\n');
  const bytes = Buffer.from(all, 'utf8');
  if (bytes.length <= OUTPUT_TAIL_BYTES) return all;
  // Skip continuation bytes so the cut never splits a character.
  let start = bytes.length - OUTPUT_TAIL_BYTES;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

/**
 * {@link UsedSince} from what idle stop knows: this portal's own view (open IDE and app
 * connections count as use now) and what every portal wrote to the database. Another portal
 * writes its first activity on a repl at once and later ones at most a flush interval late (see
 * ActivityTracker), so a visit through it a moment before the check may be missed.
 */
export function usedSinceFrom(tracker: { lastActive(replId: string): number | undefined }, shared: { lastActive(ids: readonly string[]): Promise<Map<string, number>> }): UsedSince {
  return async (replId, since) => {
    if ((tracker.lastActive(replId) ?? 0) >= since) return true;
    return ((await shared.lastActive([replId])).get(replId) ?? 0) >= since;
  };
}
