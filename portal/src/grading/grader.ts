import type { ExecResult } from '@codeyard/common/agent/protocol';
import type { GradeStatus } from '@codeyard/common/api/classes';
import { Slots } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import { isServerFull } from '../capacity/capacity-gate.js';
import type { GradeRepository, GradeResultRecord, GradeRunRecord } from '../db/grade-repository.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import { newGradeRunId } from '../submissions/work-ids.js';

/** The most output kept per result: the end of stdout and stderr, where test runners sum up. */
export const OUTPUT_TAIL_BYTES = 4096;

/** One student to grade: the roster row and its repl. */
export interface GradeTarget {
  studentId: string;
  replId: string;
}

/** A result changed (queued → running → pass/fail/error): the class's dashboard shows it. */
export interface GradeEvent {
  classId: string;
  runId: string;
  result: GradeResultRecord;
}

export interface GraderOptions {
  repls: Pick<ReplService, 'record' | 'start' | 'stop' | 'apps'>;
  runtime: Pick<Runtime, 'status' | 'watch'>;
  repository: GradeRepository;
  /** Repls graded at once in this portal, over all runs (CODEYARD_GRADE_CONCURRENCY). */
  concurrency: number;
  /** How long one command may run (CODEYARD_GRADE_TIMEOUT_SECONDS). */
  timeoutMs: number;
  /** How long a stopped repl may wait in the admission line before its result is an error. */
  startWaitMs?: number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Autograde: a command run in every chosen student repl, inside the repl's sandbox (the agent's
 * exec; never on the host), a few at a time. A stopped repl is started for it, through the
 * account limits and the machine's admission like any start (a full machine queues it), and
 * stopped again after; a repl that was running stays running. Exit code 0 is a pass, any other
 * a fail; a repl that cannot start or a command that times out is an error.
 */
export class Grader {
  readonly #o: GraderOptions;
  readonly #slots: Slots;
  readonly #listeners = new Set<(event: GradeEvent) => void>();
  readonly #work = new Set<Promise<void>>();
  #closed = false;

  constructor(options: GraderOptions) {
    this.#o = options;
    this.#slots = new Slots(Math.max(1, options.concurrency));
  }

  /** Calls `listener` on every result change made here; returns unsubscribe. */
  onResult(listener: (event: GradeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stores a run (every result queued) and works through it in the background; answers the run as stored. */
  async start(classId: string, startedBy: string, command: string, targets: readonly GradeTarget[]): Promise<GradeRunRecord> {
    if (this.#closed) throw new AppError('UNAVAILABLE', 'the portal is shutting down; grade again in a moment');
    const run = { id: newGradeRunId(), classId, command, startedBy, createdAt: new Date().toISOString() };
    await this.#o.repository.insertRun(run, targets.map((t) => t.studentId));
    this.#o.log.info({ classId, runId: run.id, students: targets.length }, 'grade run queued');
    const work = this.#runAll(run, targets).catch((err: unknown) => this.#o.log.error({ runId: run.id, err: describeError(err) }, 'grade run failed'));
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
    return { ...run, results: targets.map((t) => ({ studentId: t.studentId, status: 'queued' as const, exitCode: null })) };
  }

  async #runAll(run: { id: string; classId: string; command: string }, targets: readonly GradeTarget[]): Promise<void> {
    await Promise.all(targets.map((target) => this.#slots.run(() => this.#gradeOne(run, target))));
    await this.#o.repository.finishRun(run.id, new Date().toISOString());
    this.#o.log.info({ classId: run.classId, runId: run.id }, 'grade run finished');
  }

  async #gradeOne(run: { id: string; classId: string; command: string }, target: GradeTarget): Promise<void> {
    const startedAt = new Date().toISOString();
    const report = async (status: GradeStatus, fields: Partial<GradeResultRecord> = {}): Promise<void> => {
      const result: GradeResultRecord = { studentId: target.studentId, status, startedAt, ...fields };
      await this.#o.repository.setResult(run.id, result);
      for (const listener of this.#listeners) listener({ classId: run.classId, runId: run.id, result });
    };
    if (this.#closed) return report('error', { output: 'the portal shut down before this repl was graded; grade again', finishedAt: startedAt });
    await report('running');
    let outcome: { status: GradeStatus; exitCode?: number | null; output: string };
    try {
      outcome = await this.#execIn(target.replId, run.command);
    } catch (err) {
      outcome = { status: 'error', output: describeError(err) };
    }
    await report(outcome.status, { exitCode: outcome.exitCode ?? null, output: outcome.output, finishedAt: new Date().toISOString() });
  }

  /** Runs the command in the repl (started for it when stopped, stopped after), and judges the exit. */
  async #execIn(replId: string, command: string): Promise<{ status: GradeStatus; exitCode?: number | null; output: string }> {
    const record = await this.#o.repls.record(replId);
    if (!record) throw new AppError('NOT_FOUND', `the repl ${replId} is gone`);
    const state = this.#o.runtime.status(replId).state;
    // Running, or being started by someone else (the student opening it): theirs to stop, not ours.
    const wasRunning = state === 'running' || state === 'starting';
    if (state === 'starting') await waitForRunning(this.#o.runtime, replId, this.#o.startWaitMs ?? 10 * 60_000);
    else if (!wasRunning) await this.#start(record.owner, replId);
    try {
      const result = await this.#o.repls.apps.exec(record.owner, replId, { command, timeoutMs: this.#o.timeoutMs });
      const output = outputTail(result);
      if (result.timedOut) return { status: 'error', exitCode: result.exitCode, output: `${output}\n[timed out after ${Math.round(this.#o.timeoutMs / 1000)} s]`.trimStart() };
      return { status: result.exitCode === 0 ? 'pass' : 'fail', exitCode: result.exitCode, output };
    } finally {
      // A repl started only to be graded goes back to how it was (its files are saved on stop).
      if (!wasRunning) await this.#o.repls.stop(record.owner, replId).catch((err: unknown) => this.#o.log.error({ replId, err: describeError(err) }, 'could not stop a repl after grading'));
    }
  }

  /** Starts a stopped repl; when the machine is full it waits its turn in the admission line. */
  async #start(owner: string, replId: string): Promise<void> {
    try {
      await this.#o.repls.start(owner, replId);
      return;
    } catch (err) {
      if (!isServerFull(err)) throw err;
    }
    await waitForRunning(this.#o.runtime, replId, this.#o.startWaitMs ?? 10 * 60_000);
  }

  /**
   * Stops taking new repls (results not started yet end as errors) and waits a little for the
   * commands running now; a command still running after that is ended by the runtime's own close,
   * and its result left for the next start to mark (GradeRepository.abandonUnfinished).
   */
  async close(waitMs = 5000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.#work]), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }
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
