import { AgentClient } from '@codeyard/common/agent/client';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { describeError } from '@codeyard/common/errors';
import type { Runtime } from '../runtime/runtime.js';

export interface SecretDeliveryOptions {
  runtime: Runtime;
  /** The repl's decrypted set, read fresh for every push. */
  values: (id: string) => Promise<Record<string, string>>;
  /** Deliver to every repl this portal's runtime reports running (false on proxy replicas: a start calls deliver() itself). */
  followRuns?: boolean;
  log: { error(obj: object, msg: string): void };
}

/** How the current run of a repl stands: its agent has the set, a push is under way, or the last one failed. */
type RunState = 'applied' | 'pending' | 'failed';

/**
 * Gives running repls their secrets: the agent holds them in memory only (agent/src/secret-env.ts),
 * so every run of a repl needs them again, and every change while it runs needs the whole set
 * again. One push per repl at a time (a queue), each reading the set when it goes, so the last
 * push always carries the latest set whatever order changes came in.
 *
 * When: once per run, when the runtime reports it running (every start passes there: cold, warm
 * pool, the waiting line, wake on visit, a sandbox the runtime restarted) and awaited by the
 * start itself ({@link deliver}), so a start answers, and the portal runs the app, only once the
 * agent has them; a repl without secrets costs no call. After every change while it runs ({@link changed}).
 * A push that fails is logged, leaves `applied: false`, and is tried again at the next start.
 */
export class SecretDelivery {
  readonly #o: SecretDeliveryOptions;
  readonly #queue = new KeyedQueue();
  /** The current run's delivery per repl (forgotten when the repl stops). */
  readonly #runs = new Map<string, Promise<void>>();
  readonly #states = new Map<string, RunState>();
  /** Secrets that did not decrypt, logged once per run. */
  readonly #unreadable = new Map<string, Set<string>>();
  readonly #unwatch: () => void;

  constructor(options: SecretDeliveryOptions) {
    this.#o = options;
    this.#unwatch = options.runtime.watch((id, status) => {
      // Every report of `running` is a new run (a start, a sandbox started again after it ended,
      // one found again after a portal restart): its agent may hold nothing yet.
      this.#runs.delete(id);
      this.#states.delete(id);
      this.#unreadable.delete(id);
      if (status.state === 'running' && options.followRuns !== false) void this.deliver(id, { retry: false });
    });
  }

  /**
   * The current run's delivery: started by the first caller (the runtime's report or the start),
   * awaited by the others. With `retry` (a start), a delivery that failed is tried again.
   */
  deliver(id: string, options: { retry: boolean } = { retry: true }): Promise<void> {
    if (!this.#o.runtime.endpoints(id)) return Promise.resolve();
    const current = this.#runs.get(id);
    if (current && !(options.retry && this.#states.get(id) === 'failed')) return current;
    const run = this.#queue.run(id, () => this.#push(id, { onlyWithSecrets: true }));
    this.#runs.set(id, run);
    return run;
  }

  /** After a change: a running repl gets the whole new set (empty clears what it had). */
  async changed(id: string): Promise<void> {
    if (!this.#o.runtime.endpoints(id)) return;
    await this.#queue.run(id, () => this.#push(id, { onlyWithSecrets: false }));
  }

  /** Whether the running repl has the current set; undefined while it does not run. */
  applied(id: string): boolean | undefined {
    if (this.#o.runtime.status(id).state !== 'running') return undefined;
    // No push yet this run and none under way: it has no secrets, or (after a portal restart) the set it got at its start.
    return (this.#states.get(id) ?? 'applied') === 'applied';
  }

  /** A stored secret of a repl that does not decrypt: logged once per run, never pushed. */
  unreadable(id: string, name: string): void {
    const seen = this.#unreadable.get(id) ?? new Set<string>();
    this.#unreadable.set(id, seen);
    if (seen.has(name)) return;
    seen.add(name);
    this.#o.log.error({ replId: id, secret: name }, 'a repl secret does not decrypt (was the signing key changed?); the repl runs without it until its owner sets it again');
  }

  async #push(id: string, options: { onlyWithSecrets: boolean }): Promise<void> {
    const endpoints = this.#o.runtime.endpoints(id);
    if (!endpoints) return;
    this.#states.set(id, 'pending');
    try {
      const variables = await this.#o.values(id);
      if (options.onlyWithSecrets && Object.keys(variables).length === 0) {
        this.#states.set(id, 'applied');
        return;
      }
      await new AgentClient(endpoints.agent).setEnv(variables);
      this.#states.set(id, 'applied');
    } catch (err) {
      this.#states.set(id, 'failed');
      this.#o.log.error({ replId: id, err: describeError(err) }, "could not give the repl's agent its secrets; it gets them at its next start");
    }
  }

  close(): void {
    this.#unwatch();
  }
}
