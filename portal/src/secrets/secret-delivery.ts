import { AgentClient } from '@codeyard/common/agent/client';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { describeError } from '@codeyard/common/errors';
import type { Runtime } from '../runtime/runtime.js';

export interface SecretDeliveryOptions {
  runtime: Runtime;
  /** The repl's decrypted set and its revision, read together (one read) for every push. */
  values: (id: string) => Promise<{ revision: number; variables: Record<string, string> }>;
  /** Deliver to every repl this portal's runtime reports running (false on proxy replicas: a start calls deliver() itself). */
  followRuns?: boolean;
  log: { error(obj: object, msg: string): void };
}

/**
 * Gives running repls their secrets: the agent holds them in memory only (agent/src/secret-env.ts),
 * so every run of a repl needs them again, and every change while it runs needs the whole set
 * again. One push per repl at a time in this portal (a queue), each reading the set when it goes.
 * Portal replicas push too (every one follows runs; the one that took a change pushes it), and
 * their pushes can reach the agent in any order: each carries the revision it read the set at
 * (bumped with every change, in the change's transaction), and the agent keeps the newest.
 *
 * When: once per run, when the runtime reports it running (every start passes there: cold, warm
 * pool, the waiting line, wake on visit, a sandbox the runtime restarted) and awaited by the
 * start itself ({@link deliver}), so a start answers, and the portal runs the app, only once the
 * agent has them; a repl that never had a secret (revision 0) costs no call. After every change
 * while it runs ({@link changed}). A push that fails is logged and tried again at the next start.
 * Whether the agent has the current set ({@link applied}) is the agent's revision against the
 * database's, never this portal's memory of its own pushes alone.
 */
export class SecretDelivery {
  readonly #o: SecretDeliveryOptions;
  readonly #queue = new KeyedQueue();
  /** The current run's delivery per repl (forgotten when the repl stops). */
  readonly #runs = new Map<string, Promise<void>>();
  /** Repls whose last push this run failed (a start tries again). */
  readonly #failed = new Set<string>();
  /** The revision each running repl's agent answered it holds, as last heard this run. */
  readonly #held = new Map<string, number>();
  /** A token per running repl's run: an answer from an earlier run's agent says nothing of this one's. */
  readonly #run = new Map<string, object>();
  /** Secrets that did not decrypt, logged once per run. */
  readonly #unreadable = new Map<string, Set<string>>();
  readonly #unwatch: () => void;

  constructor(options: SecretDeliveryOptions) {
    this.#o = options;
    this.#unwatch = options.runtime.watch((id, status) => {
      // Every report of `running` is a new run (a start, a sandbox started again after it ended,
      // one found again after a portal restart): its agent may hold nothing yet.
      this.#runs.delete(id);
      this.#failed.delete(id);
      this.#held.delete(id);
      if (status.state === 'running') this.#run.set(id, {});
      else this.#run.delete(id);
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
    if (current && !(options.retry && this.#failed.has(id))) return current;
    const run = this.#queue.run(id, () => this.#push(id, { onlyWithSecrets: true }));
    this.#runs.set(id, run);
    return run;
  }

  /** After a change: a running repl gets the whole new set (empty clears what it had). */
  async changed(id: string): Promise<void> {
    if (!this.#o.runtime.endpoints(id)) return;
    await this.#queue.run(id, () => this.#push(id, { onlyWithSecrets: false }));
  }

  /**
   * Whether the running repl's agent holds the database's `revision` of its set (or a newer one);
   * undefined while it does not run. When this portal has not heard the agent hold it (it made no
   * push this run, or another replica's change is newer), it asks the agent (GET /env).
   */
  async applied(id: string, revision: number): Promise<boolean | undefined> {
    if (this.#o.runtime.status(id).state !== 'running') return undefined;
    // Never had a secret: every agent starts holding revision 0's empty set.
    if (revision === 0 || (this.#held.get(id) ?? -1) >= revision) return true;
    const endpoints = this.#o.runtime.endpoints(id);
    if (!endpoints) return false;
    const run = this.#run.get(id);
    try {
      const env = await new AgentClient(endpoints.agent).env();
      this.#heard(id, run, env.revision);
      return env.revision >= revision;
    } catch {
      return false;
    }
  }

  /** A stored secret of a repl that does not decrypt: logged once per run, never pushed. */
  unreadable(id: string, name: string): void {
    const seen = this.#unreadable.get(id) ?? new Set<string>();
    this.#unreadable.set(id, seen);
    if (seen.has(name)) return;
    seen.add(name);
    this.#o.log.error({ replId: id, secret: name }, 'a repl secret does not decrypt (was the signing key changed?); the repl runs without it until its owner sets it again');
  }

  /** What the agent of `run` answered it holds (its revision only goes up within a run). */
  #heard(id: string, run: object | undefined, revision: number): void {
    if (this.#run.get(id) === run) this.#held.set(id, Math.max(revision, this.#held.get(id) ?? -1));
  }

  async #push(id: string, options: { onlyWithSecrets: boolean }): Promise<void> {
    const endpoints = this.#o.runtime.endpoints(id);
    if (!endpoints) return;
    const run = this.#run.get(id);
    try {
      const { revision, variables } = await this.#o.values(id);
      this.#failed.delete(id);
      if (options.onlyWithSecrets && revision === 0 && Object.keys(variables).length === 0) return;
      const held = await new AgentClient(endpoints.agent).setEnv(variables, revision);
      // An agent from before revisions answers none: it took the set, as it takes every one.
      this.#heard(id, run, held.revision ?? revision);
    } catch (err) {
      this.#failed.add(id);
      this.#o.log.error({ replId: id, err: describeError(err) }, "could not give the repl's agent its secrets; it gets them at its next start");
    }
  }

  close(): void {
    this.#unwatch();
  }
}
