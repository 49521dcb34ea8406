import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecRequest, ExecResult } from '@codeyard/common/agent/protocol';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';
import type { ReplId } from '@codeyard/common/repl-id';
import type { StackManifest } from '../templates/manifest.js';
import type { Endpoints, ReplSpec, Runtime, RuntimeDescription, RuntimeStatus, SandboxId, StackAvailability } from './runtime.js';
import { PooledRuntime } from './pooled-runtime.js';
import type { SandboxReading } from './usage.js';
import { WarmPool } from './warm-pool.js';

/** Marks every answer of the double's exec, so no test mistakes it for a command's real output. */
export const MEMORY_EXEC_MARK = '[memory runtime double]';

/** Where the double's endpoints point: a folder that does not exist, so nothing answers there. */
const NOWHERE = '/nonexistent/codeyard-memory-runtime';

export interface MemoryRuntimeOptions {
  /** Pause at each starting and stopping step, so that tests can see them (0: next tick). */
  stepDelayMs?: number;
  /** Stacks whose toolchain the double reports missing. */
  unavailableStacks?: readonly string[];
  /** How long a taken warm sandbox waits for its repl's start (the pool's default otherwise). */
  warmTakenMs?: number;
  /** Where a running repl's parts answer, when a test serves them (default: nowhere). */
  endpoints?: (id: ReplId) => Endpoints;
  /** What a running repl uses unless a test set its figures (setUsage): 200 MiB, 5 % CPU. */
  replUsage?: SandboxReading;
  /** What each warm sandbox uses: 100 MiB. */
  warmUsage?: SandboxReading;
  /** One repl's memory limit, reported by describe() as the real runtimes report theirs (never enforced: nothing runs). */
  memoryLimitBytes?: number;
}

interface MemorySandbox {
  id: SandboxId;
  stack: string;
  ended: boolean;
}

let sandboxes = 0;

/**
 * A test double of {@link Runtime}: repls live in memory only, nothing is spawned and no file is
 * written. It keeps the states a real driver goes through (starting and stopping, with steps;
 * watch() events in order), answers exec with a canned result marked {@link MEMORY_EXEC_MARK},
 * and its endpoints point at nothing (a connection fails as to a repl that just died). Its warm
 * pool is the shared {@link WarmPool} with instant sandboxes. For unit tests of the repl service
 * and routes; the process runtime's own tests run the real thing.
 */
export class MemoryRuntime extends PooledRuntime<MemorySandbox> implements Runtime {
  readonly name = 'memory';
  readonly #opts: MemoryRuntimeOptions;
  readonly #known = new Map<ReplId, ReplSpec>();
  readonly #queues = new KeyedQueue();
  protected override readonly pool: WarmPool<MemorySandbox>;
  /** Repls started from a warm sandbox (what a test can check). */
  readonly startedWarm = new Set<ReplId>();
  /** Repls that ran here: like the process runtime, the double keeps "their state" and gives them no warm sandbox. */
  readonly #ran = new Set<ReplId>();
  /** Figures a test set per repl (the double's "cgroups"). */
  readonly #usage = new Map<ReplId, SandboxReading>();
  #closed = false;

  constructor(options: MemoryRuntimeOptions = {}) {
    super();
    this.#opts = options;
    this.pool = new WarmPool<MemorySandbox>({
      launch: async (manifest) => ({ id: `memory${++sandboxes}`, stack: manifest.id, ended: false }),
      discard: async (sandbox) => {
        sandbox.ended = true;
      },
      alive: (sandbox) => !sandbox.ended,
      canLaunch: async () => true,
      log: { warn: () => undefined },
    }, { takenMs: options.warmTakenMs });
  }

  /** The spec a repl was last made or started with (what a test can check: its own limits). */
  specOf(id: ReplId): ReplSpec | undefined {
    return this.#known.get(id);
  }

  describe(): RuntimeDescription {
    const none = { enforced: false, reason: 'the in-memory test double runs nothing' };
    const memory = this.#opts.memoryLimitBytes ? { ...none, value: this.#opts.memoryLimitBytes } : none;
    return { driver: this.name, sandbox: 'none (test double)', network: 'none', uidPerRepl: false, limits: { processes: none, openFiles: none, memory, cpu: none, disk: none } };
  }

  async checkStack(manifest: StackManifest): Promise<StackAvailability> {
    if (this.#opts.unavailableStacks?.includes(manifest.id)) return { available: false, reason: `${manifest.toolchain?.name ?? manifest.id} is missing (test double)` };
    return { available: true, version: '0.0.0-double' };
  }

  /** Keeps `size` instant sandboxes per stack (the shared warm pool's policy). */
  warmPool(stacks: readonly StackManifest[], size: number): void {
    this.pool.configure(stacks, size, { maxLoad: Number.POSITIVE_INFINITY });
  }

  /** As the process runtime: only a repl that never ran here (it would have state of its own). */
  warmFits(spec: ReplSpec): boolean {
    return !this.#ran.has(spec.id);
  }

  async create(spec: ReplSpec): Promise<void> {
    this.#known.set(spec.id, spec);
  }

  start(spec: ReplSpec): Promise<void> {
    return this.#queues.run(spec.id, async () => {
      if (this.#closed) throw new AppError('UNAVAILABLE', 'Codeyard is shutting down');
      this.#known.set(spec.id, spec);
      if (this.status(spec.id).state === 'running') return;
      if (this.pool.claim(spec.id)) {
        this.startedWarm.add(spec.id);
        await this.#step(spec.id, 'starting', 'restoring files');
      } else {
        await this.#step(spec.id, 'starting', 'preparing the workspace');
        await this.#step(spec.id, 'starting', 'starting VS Code');
      }
      this.#ran.add(spec.id);
      this.#set(spec.id, { state: 'running' });
    });
  }

  stop(id: ReplId): Promise<void> {
    return this.#queues.run(id, async () => {
      const state = this.status(id).state;
      if (state !== 'running' && state !== 'error') return;
      await this.#step(id, 'stopping', 'saving files');
      this.#set(id, { state: 'stopped' });
    });
  }

  delete(id: ReplId): Promise<void> {
    return this.#queues.run(id, async () => {
      await this.pool.releaseFor(id);
      if (this.status(id).state === 'running') await this.#step(id, 'stopping', 'stopping VS Code');
      this.states.forget(id);
      this.#known.delete(id);
      this.#ran.delete(id);
    });
  }

  /** A canned result, marked as the double's: nothing runs. */
  async exec(id: ReplId, request: ExecRequest): Promise<ExecResult> {
    if (this.status(id).state !== 'running') throw new AppError('NOT_RUNNING', 'the repl is not running; start it first');
    return { exitCode: 0, signal: null, stdout: `${MEMORY_EXEC_MARK} ${request.command}\n`, stderr: '', timedOut: false, truncated: false, durationMs: 0 };
  }

  workspacePath(id: ReplId): string {
    return `${NOWHERE}/${id}/workspace`;
  }

  endpoints(id: ReplId): Endpoints | undefined {
    if (this.status(id).state !== 'running') return undefined;
    if (this.#opts.endpoints) return this.#opts.endpoints(id);
    const socket = (name: string): string => `${NOWHERE}/${id}/${name}.sock`;
    return { ide: { kind: 'unix', socketPath: socket('ide') }, agent: { kind: 'unix', socketPath: socket('agent') }, port: (port) => ({ kind: 'tunnel', socketPath: socket('tunnel'), port }) };
  }

  /** Sets what repl `id` uses from now on while it runs (the double has no cgroups to read). */
  setUsage(id: ReplId, reading: SandboxReading): void {
    this.#usage.set(id, reading);
  }

  protected readRepl(id: ReplId): SandboxReading | undefined {
    if (this.status(id).state !== 'running') return undefined;
    return this.#usage.get(id) ?? this.#opts.replUsage ?? { memoryBytes: 200 * 1024 * 1024, cpuPercent: 5 };
  }

  protected readSandbox(): SandboxReading | undefined {
    return this.#opts.warmUsage ?? { memoryBytes: 100 * 1024 * 1024, cpuPercent: 0 };
  }

  protected stackOf(sandbox: MemorySandbox): string {
    return sandbox.stack;
  }

  /** Nothing outlives a memory runtime: there is never anything to adopt. */
  async recover(): Promise<{ adopted: ReplId[]; saved: ReplId[] }> {
    return { adopted: [], saved: [] };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.pool.close();
    await Promise.all(this.active().map((id) => this.stop(id)));
  }

  async #step(id: ReplId, state: 'starting' | 'stopping', step: string): Promise<void> {
    this.#set(id, { state, step });
    await sleep(this.#opts.stepDelayMs ?? 0);
  }

  #set(id: ReplId, status: Omit<RuntimeStatus, 'since'>): void {
    this.states.set(id, status);
  }
}
