import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { AppError, describeError } from '@codeyard/common/errors';
import type { ClaimedResult } from '../db/grade-queue-repository.js';
import type { GradeRepository, GradeResultRecord, GradeRunRecord } from '../db/grade-repository.js';
import { newGradeRunId } from '../submissions/work-ids.js';
import { type GradeExecOptions, type GradeOutcome, gradeIn } from './grade-exec.js';

export { OUTPUT_TAIL_BYTES, outputTail } from './grade-exec.js';

/** How long a claim holds without renewal: a portal that died is noticed this long after. */
export const GRADE_LEASE_MS = 60_000;
/** How often a portal renews its claims, takes back lapsed ones and looks for queued results. */
export const GRADE_POLL_MS = 5_000;
/** Claims of one result before it is given up on (an error) instead of queued again. */
export const GRADE_MAX_ATTEMPTS = 2;

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

export interface GraderOptions extends Omit<GradeExecOptions, 'startWaitMs'> {
  repository: GradeRepository;
  /** Repls graded at once by this portal, over all runs (CODEYARD_GRADE_CONCURRENCY). */
  concurrency: number;
  /** How long a stopped repl may wait in the admission line before its result is an error. */
  startWaitMs?: number;
  /** See {@link GRADE_LEASE_MS}, {@link GRADE_POLL_MS}, {@link GRADE_MAX_ATTEMPTS}. */
  leaseMs?: number;
  pollMs?: number;
  maxAttempts?: number;
  /** This portal's name in the queue's claims (default: host, process and a random part). */
  portalId?: string;
  /** The clock for lease times (tests move it). */
  now?: () => number;
}

/**
 * Autograde: a command run in every chosen student repl (see gradeIn), queued in the database so
 * that every portal sharing it works through the queue, a few results at a time each
 * (`concurrency`), and a portal that stops mid-run loses nothing: a result it held is claimed
 * again once its lease lapses (or at once, when it shut down cleanly), and a result whose portals
 * died twice on it ends as an error saying so. Result changes this portal makes (and the ones
 * its sweep makes) go to {@link onResult} listeners; another portal's reach the dashboard
 * through that portal's listeners and the database's event bus.
 */
export class Grader {
  readonly portalId: string;
  readonly #o: GraderOptions;
  readonly #exec: GradeExecOptions;
  readonly #listeners = new Set<(event: GradeEvent) => void | Promise<void>>();
  /** The results this portal works on now, by `run/student`. */
  readonly #working = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #pumping: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: GraderOptions) {
    this.#o = options;
    this.#exec = { ...options, startWaitMs: options.startWaitMs ?? 10 * 60_000 };
    this.portalId = options.portalId ?? `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  }

  /** Calls `listener` on every result change made here; returns unsubscribe. */
  onResult(listener: (event: GradeEvent) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stores a run (every result queued) and starts on it; answers the run as stored. */
  async start(classId: string, startedBy: string, command: string, targets: readonly GradeTarget[]): Promise<GradeRunRecord> {
    if (this.#closed) throw new AppError('UNAVAILABLE', 'the portal is shutting down; grade again in a moment');
    const run = { id: newGradeRunId(), classId, command, startedBy, createdAt: new Date(this.#now()).toISOString() };
    await this.#o.repository.insertRun(run, targets);
    this.#o.log.info({ classId, runId: run.id, students: targets.length }, 'grade run queued');
    // A portal that works the queue starts at once; otherwise (a proxy replica) the portal replicas' next pass takes it.
    if (this.#timer) void this.#pump();
    return { ...run, results: targets.map((t) => ({ studentId: t.studentId, status: 'queued' as const, exitCode: null })) };
  }

  /**
   * Works the queue from now on: a pass at once (what a stopped portal left), then every
   * `pollMs`. Leases are compared with this portal's clock: replicas' clocks must agree to
   * well within the lease (NTP does).
   */
  begin(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.tick(), this.#o.pollMs ?? GRADE_POLL_MS);
    this.#timer.unref();
    void this.tick();
  }

  /**
   * One pass (never two at once): renews this portal's claims, takes back lapsed ones, marks
   * finished the runs with nothing left, and claims what this portal has room for.
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick()
      .catch((err: unknown) => this.#o.log.error({ err: describeError(err) }, 'grade queue pass failed'))
      .finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const queue = this.#o.repository.queue;
    const now = this.#now();
    if (this.#working.size) await queue.renew(this.portalId, this.#iso(now + this.#leaseMs));
    const swept = await queue.requeueExpired(this.#iso(now), this.#o.maxAttempts ?? GRADE_MAX_ATTEMPTS);
    for (const change of swept) {
      this.#o.log.info({ runId: change.runId, studentId: change.result.studentId, status: change.result.status }, 'took back a grade result whose portal stopped working on it');
      this.#emit(change);
    }
    for (const runId of await queue.finishDone(this.#iso(now))) this.#o.log.info({ runId }, 'grade run finished');
    await this.#pump();
  }

  /** Claims results while this portal has room (one claimer at a time; a call meanwhile asks for another round). */
  #pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return this.#pumping;
    }
    this.#pumping = this.#claim()
      .catch((err: unknown) => this.#o.log.error({ err: describeError(err) }, 'could not claim grade results'))
      .finally(() => (this.#pumping = undefined));
    return this.#pumping;
  }

  async #claim(): Promise<void> {
    // Bounded: the next tick claims whatever is left.
    for (let round = 0; round < 16; round++) {
      this.#again = false;
      const free = Math.max(1, this.#o.concurrency) - this.#working.size;
      if (free <= 0 || this.#closed) return;
      const now = this.#now();
      const claimed = await this.#o.repository.queue.claim(this.portalId, free, this.#iso(now), this.#iso(now + this.#leaseMs));
      for (const result of claimed) this.#work(result);
      if (claimed.length < free && !this.#again) return;
    }
  }

  #work(claimed: ClaimedResult): void {
    const key = `${claimed.runId}/${claimed.studentId}`;
    const job = this.#gradeOne(claimed)
      .catch((err: unknown) => this.#o.log.error({ runId: claimed.runId, studentId: claimed.studentId, err: describeError(err) }, 'grading a student failed'))
      .finally(() => {
        this.#working.delete(key);
        void this.#pump();
      });
    this.#working.set(key, job);
  }

  async #gradeOne(claimed: ClaimedResult): Promise<void> {
    const { runId, classId, studentId, startedAt } = claimed;
    this.#emit({ classId, runId, result: { studentId, status: 'running', startedAt } });
    let outcome: GradeOutcome;
    try {
      if (!claimed.replId) throw new AppError('NOT_FOUND', "the student's repl is gone");
      outcome = await gradeIn(this.#exec, claimed.replId, claimed.command);
    } catch (err) {
      outcome = { status: 'error', output: describeError(err) };
    }
    const result: GradeResultRecord = { studentId, startedAt, status: outcome.status, exitCode: outcome.exitCode ?? null, output: outcome.output, finishedAt: new Date(this.#now()).toISOString() };
    const queue = this.#o.repository.queue;
    if (!(await queue.complete(this.portalId, runId, result))) {
      // Taken back meanwhile (this portal's lease lapsed, or it shut down): the result is the next claimer's to give.
      this.#o.log.info({ runId, studentId }, 'a grade result was taken back before it was stored; not stored');
      return;
    }
    this.#emit({ classId, runId, result });
    for (const finished of await queue.finishDone(result.finishedAt!, runId)) this.#o.log.info({ classId, runId: finished }, 'grade run finished');
  }

  #emit(event: GradeEvent): void {
    for (const listener of this.#listeners) {
      // A listener's failure (an async one's too) costs the dashboard a refresh, never the grading.
      try {
        void Promise.resolve(listener(event)).catch((err: unknown) => this.#o.log.error({ err: describeError(err) }, 'a grade result listener failed'));
      } catch (err) {
        this.#o.log.error({ err: describeError(err) }, 'a grade result listener failed');
      }
    }
  }

  get #leaseMs(): number {
    return this.#o.leaseMs ?? GRADE_LEASE_MS;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  #iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  /**
   * Stops claiming, waits a little for the commands running now, and puts the results still
   * unfinished back in the queue (another portal, or this one's next start, grades them again;
   * their commands end with the runtime's own close).
   */
  async close(waitMs = 5000): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.#working.values(), this.#ticking, this.#pumping]), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    try {
      for (const change of await this.#o.repository.queue.release(this.portalId)) this.#emit(change);
    } catch (err) {
      // Their leases lapse instead, and any portal takes them back then.
      this.#o.log.error({ err: describeError(err) }, 'could not put unfinished grade results back in the queue');
    }
  }
}
