import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import type { ReplId } from '@codeyard/common/repl-id';
import type { Runtime, SandboxId } from '../runtime/runtime.js';
import type { RuntimeUsage, SandboxUsage } from '../runtime/usage.js';
import { decideAdmission, type AdmissionOutcome } from './admission-decision.js';
import type { Capacity, MachineMemory } from './machine.js';
import { type QueuedStart, StartQueue } from './start-queue.js';

export interface CapacityGateOptions {
  runtime: Runtime;
  capacity: Capacity;
  /** A typical repl's footprint (CODEYARD_REPL_MEMORY_ESTIMATE_MB); the learnt figure never goes below it. */
  estimateBytes: number;
  /** The per-repl memory limit: no repl can need more, so the learnt estimate stops there. */
  limitBytes: number;
  /** The machine's memory now, for the second check; none (the test double) skips it. */
  machine?: () => MachineMemory;
  /** How often usage is read (and CPU shares computed), and the queue retried. */
  sampleMs?: number;
  /** How long after it started a repl still counts at least the estimate (it grows as VS Code loads). */
  settleMs?: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** A repl's place in line. */
export interface QueuePlace {
  position: number;
  of: number;
}

/** What the admin view shows: the capacity, what is counted against it, and the line. */
export interface CapacitySnapshot {
  capacity: Capacity;
  estimateBytes: number;
  outcome: AdmissionOutcome;
  /** What the machine can still give out now (MemAvailable), when read. */
  availableBytes?: number;
  usage: RuntimeUsage;
  queue: ReadonlyArray<Omit<QueuedStart, 'run'> & { position: number }>;
}

/**
 * No limit (a ReplService made without a gate: unit tests of other things). Nothing is ever
 * refused or queued; usage is still read for the views.
 */
export function unlimitedCapacity(): Pick<CapacityGateOptions, 'capacity' | 'estimateBytes' | 'limitBytes'> {
  // The largest exact number, not Infinity: the admin view serializes it as JSON.
  return { capacity: { memoryBytes: Number.MAX_SAFE_INTEGER, reserveBytes: 0, cpus: 0, source: 'configured' }, estimateBytes: 0, limitBytes: 0 };
}

/** The answer to a start that has to wait: 503, Retry-After, and its place in line. */
export function serverFull(replId: ReplId, place: QueuePlace): AppError {
  const retryAfterSeconds = Math.min(60, 5 * place.position);
  return new AppError(
    'SERVER_FULL',
    `this server is full: your repl is #${place.position} in line (of ${place.of}) and starts by itself when room appears, as running repls stop. ` +
      `GET /api/repls/${replId} shows its place (queue.position); POST /api/repls/${replId}/stop leaves the line`,
    { position: place.position, queued: place.of, retryAfterSeconds },
  );
}

/** Is this the answer to a start that waits in line? */
export function isServerFull(err: unknown): boolean {
  return err instanceof AppError && err.code === 'SERVER_FULL';
}

/**
 * Admission control for one machine: a start goes ahead only while what runs here, measured,
 * plus the start's estimate fits the capacity (the rule: admission-decision.ts). When it does not,
 * warm sandboxes are ended first (they only save a start's latency), then the start waits in a
 * first-come line and is started by itself when room appears: a stop, a delete, an idle stop,
 * or repls using less. Starts of repls already running or starting pass through.
 *
 * CPU is measured and reported (the admin view, the dashboard), not a reason to refuse: too
 * little of it slows repls down but kills nothing, each repl's CFS quota bounds what one takes,
 * and the warm pool already waits to refill while the load average is above the core count.
 *
 * Scope: one machine. With the process runtime each portal runs its repls on its own machine,
 * and this gate counts that machine. On Kubernetes the scheduler does this job: a pod that does
 * not fit any node stays Pending (its requests should then be the estimate, not the limit) until
 * the cluster autoscaler adds a node; a driver there would report Pending as this queue.
 */
export class CapacityGate {
  readonly #o: CapacityGateOptions;
  readonly #queue = new StartQueue();
  /** Admitted starts not finished yet (counted at the estimate until the runtime shows them). */
  readonly #reserved = new Set<ReplId>();
  /** Repls with a memory limit of their own (a class's per-student limit), from their start until they stop: counted at it where it is below the estimate. */
  readonly #ownLimits = new Map<ReplId, number>();
  /**
   * Starts that bring a warm sandbox of their own (repls/warm-start.ts): it becomes the repl, so
   * while it is decided on and admitted it counts as that start (the estimate), not as warm too.
   */
  readonly #adopting = new Map<ReplId, SandboxId>();
  /** Decisions one at a time: two starts deciding together would both see the same room. */
  readonly #decisions = new KeyedQueue();
  readonly #listeners = new Set<(ids: ReplId[]) => void>();
  readonly #unwatch: () => void;
  readonly #timer: NodeJS.Timeout;
  #last: { usage: RuntimeUsage; availableBytes?: number } = { usage: { repls: new Map(), warm: [] } };
  #learntBytes = 0;
  #pumping?: Promise<void>;
  #pumpAgain = false;
  #closed = false;

  constructor(options: CapacityGateOptions) {
    this.#o = options;
    // A stop, a delete, an error: room may have appeared for the line.
    this.#unwatch = options.runtime.watch((id, status) => {
      if (status.state === 'stopped' && !this.#queue.position(id)) this.#ownLimits.delete(id);
      if (this.#queue.length) this.#pumpSoon();
    });
    // The warm pool refills only when nobody waits and one more start would still fit after it.
    options.runtime.gateWarm?.(() => this.#queue.length === 0 && this.#outcome().fits);
    this.#timer = setInterval(() => void this.#tick(), options.sampleMs ?? 5000);
    this.#timer.unref();
    void this.#tick();
  }

  /** The typical footprint now: the configured figure, or the median measured repl when higher. */
  get estimateBytes(): number {
    return Math.min(Math.max(this.#o.estimateBytes, this.#learntBytes), this.#o.limitBytes);
  }

  /** Calls `listener` with the repls whose place in line changed; returns the unsubscribe function. */
  onQueueChange(listener: (ids: ReplId[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts repl `replId` now if it fits (`run`), else puts it in line and throws SERVER_FULL with
   * its place; once admitted from the line, `queued` runs instead (the start again, with whatever
   * the caller would have done after it). Asking again while in line keeps the place. A repl with
   * a memory limit of its own (`memoryLimitBytes`) is counted at it where it is below the estimate.
   * With `adopts`, the start becomes the taken warm sandbox of that id: it is not counted twice.
   */
  async start(replId: ReplId, owner: string, run: () => Promise<void>, queued: () => Promise<void> = run, own: { memoryLimitBytes?: number; adopts?: SandboxId } = {}): Promise<void> {
    if (own.memoryLimitBytes) this.#ownLimits.set(replId, own.memoryLimitBytes);
    else this.#ownLimits.delete(replId);
    const state = this.#o.runtime.status(replId).state;
    if (state === 'running' || state === 'starting' || this.#reserved.has(replId)) return run();
    const admitted = await this.#decisions.run('', async () => {
      if (own.adopts) this.#adopting.set(replId, own.adopts);
      // Nobody overtakes the line: with people waiting, a new start waits behind them.
      if (this.#queue.length === 0 && (await this.#admit(replId))) return true;
      this.#adopting.delete(replId);
      this.#queue.add({ replId, owner, run: queued });
      return false;
    });
    if (!admitted) {
      this.#changed();
      this.#pumpSoon();
      throw serverFull(replId, this.position(replId)!);
    }
    try {
      await run();
    } finally {
      this.#reserved.delete(replId);
      this.#adopting.delete(replId);
    }
  }

  /** Takes a repl out of the line (its owner stopped or deleted it); true when it was waiting. */
  leave(replId: ReplId): boolean {
    if (this.#o.runtime.status(replId).state === 'stopped') this.#ownLimits.delete(replId);
    if (!this.#queue.remove(replId)) return false;
    this.#changed([replId]);
    return true;
  }

  position(replId: ReplId): QueuePlace | undefined {
    const position = this.#queue.position(replId);
    return position ? { position, of: this.#queue.length } : undefined;
  }

  /** The capacity fixed at start, and the estimate now (for the log at start). */
  snapshotCapacity(): Capacity & { estimateBytes: number } {
    return { ...this.#o.capacity, estimateBytes: this.estimateBytes };
  }

  /** What a repl used at the last reading. */
  usageOf(replId: ReplId): SandboxUsage | undefined {
    return this.#last.usage.repls.get(replId);
  }

  /** The capacity, what counts against it and the line, read fresh. */
  async snapshot(): Promise<CapacitySnapshot> {
    await this.#sample();
    const queue = this.#queue.list().map(({ replId, owner, since }, i) => ({ replId, owner, since, position: i + 1 }));
    return { capacity: this.#o.capacity, estimateBytes: this.estimateBytes, outcome: this.#outcome(), availableBytes: this.#last.availableBytes, usage: this.#last.usage, queue };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unwatch();
    this.#listeners.clear();
  }

  // ---- internals ----

  async #tick(): Promise<void> {
    try {
      await this.#sample();
      if (this.#queue.length) this.#pumpSoon();
    } catch (err) {
      this.#o.log.warn({ err: describeError(err) }, 'could not read what repls use');
    }
  }

  async #sample(): Promise<void> {
    const usage = await this.#o.runtime.usage();
    const available = this.#o.machine?.().availableBytes;
    this.#last = { usage, availableBytes: available };
    // Learnt upwards only: idle repls measured small must not let a burst of starts in that grow later.
    const settled = [...usage.repls].filter(([id]) => !this.#fresh(id)).map(([, u]) => u.memoryBytes).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
    if (settled.length >= 3) this.#learntBytes = settled[Math.floor(settled.length / 2)]!;
  }

  /** Counts or settles: starting, admitted, or running for less than the settle time. */
  #fresh(replId: ReplId): boolean {
    if (this.#reserved.has(replId)) return true;
    const status = this.#o.runtime.status(replId);
    if (status.state === 'starting') return true;
    return status.state === 'running' && Date.now() - Date.parse(status.since) < (this.#o.settleMs ?? 60_000);
  }

  /** The rule applied to the last reading: would one more start fit (the start of `replId`, when given)? */
  #outcome(replId?: ReplId): AdmissionOutcome {
    const { usage, availableBytes } = this.#last;
    const repls = [];
    const seen = new Set<ReplId>();
    for (const [id, u] of usage.repls) {
      const state = this.#o.runtime.status(id).state;
      // A repl in error has no processes left unless measured: nothing to count.
      if (state === 'stopped' || (state === 'error' && u.memoryBytes === undefined)) continue;
      seen.add(id);
      repls.push({ memoryBytes: u.memoryBytes, fresh: this.#fresh(id), estimateBytes: this.#ownLimits.get(id) });
    }
    const reserved = [...this.#reserved].filter((id) => !seen.has(id)).map((id) => this.#ownLimits.get(id));
    // A warm sandbox a start is taking counts as that start (its reservation), not as warm too.
    const adopted = new Set(this.#adopting.values());
    return decideAdmission({
      capacityBytes: this.#o.capacity.memoryBytes,
      estimateBytes: this.estimateBytes,
      repls,
      reserved,
      ...(replId && this.#ownLimits.has(replId) ? { startBytes: this.#ownLimits.get(replId) } : {}),
      warm: usage.warm.filter((w) => !adopted.has(w.sandboxId)).map((w) => ({ memoryBytes: w.usage.memoryBytes })),
      availableBytes: availableBytes === undefined ? undefined : availableBytes - this.#o.capacity.reserveBytes,
    });
  }

  /** Within a decision: does one more start fit, once warm sandboxes are ended if need be? Reserves it if so. */
  async #admit(replId: ReplId): Promise<boolean> {
    await this.#sample();
    // Bounded: each round ends one warm sandbox, and a pool holds at most 64 per stack.
    for (let round = 0; round < 256; round++) {
      const outcome = this.#outcome(replId);
      if (outcome.fits) {
        this.#reserved.add(replId);
        return true;
      }
      if (outcome.warmBytes === 0 || !(await this.#o.runtime.shedWarm?.())) return false;
      this.#o.log.info({ replId, shortBytes: outcome.shortBytes }, 'a warm sandbox was ended to make room for a repl');
      await this.#sample();
    }
    return false;
  }

  #pumpSoon(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.#pumpSoon();
      }
    });
  }

  /** Starts from the head of the line while each fits; the first that does not fit waits (no overtaking). */
  async #pump(): Promise<void> {
    for (let started = 0; started < 10_000 && !this.#closed; started++) {
      const head = this.#queue.head();
      if (!head) return;
      const state = this.#o.runtime.status(head.replId).state;
      // Started meanwhile by other means: nothing to wait for.
      if (state === 'running' || state === 'starting') {
        this.#queue.remove(head.replId);
        this.#changed([head.replId]);
        continue;
      }
      const admitted = await this.#decisions.run('', () => this.#admit(head.replId)).catch(() => false);
      if (!admitted) return;
      if (this.#queue.head() !== head) {
        // It left the line while the decision ran (stopped, deleted): the room goes to the next.
        this.#reserved.delete(head.replId);
        continue;
      }
      this.#queue.remove(head.replId);
      this.#changed([head.replId]);
      this.#o.log.info({ replId: head.replId, owner: head.owner, waitedMs: Date.now() - Date.parse(head.since) }, 'room for a waiting repl: starting it');
      void head
        .run()
        .catch((err: unknown) => this.#o.log.warn({ replId: head.replId, err: describeError(err) }, 'a repl started from the line did not start'))
        .finally(() => this.#reserved.delete(head.replId));
    }
  }

  /** Tells the listeners: every repl in line has a new place, and `left` none. */
  #changed(left: ReplId[] = []): void {
    const ids = [...left, ...this.#queue.list().map((e) => e.replId)];
    for (const listener of this.#listeners) listener(ids);
  }
}
