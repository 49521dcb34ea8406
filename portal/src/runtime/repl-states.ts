import { EventEmitter } from 'node:events';
import type { ReplId } from '@codeyard/common/repl-id';
import type { RuntimeStatus } from './runtime.js';

/**
 * A runtime's view of its repls' states, the same for every driver: the status of each repl
 * (stopped when never seen), every change told to watch() listeners in order, and active().
 */
export class ReplStates {
  readonly #status = new Map<ReplId, RuntimeStatus>();
  readonly #events = new EventEmitter<{ status: [ReplId, RuntimeStatus] }>();

  get(id: ReplId): RuntimeStatus {
    return this.#status.get(id) ?? { state: 'stopped', since: new Date(0).toISOString() };
  }

  /** Records a change (stamped now) and tells the listeners. */
  set(id: ReplId, status: Omit<RuntimeStatus, 'since'>): void {
    const full: RuntimeStatus = { ...status, since: new Date().toISOString() };
    this.#status.set(id, full);
    this.#events.emit('status', id, full);
  }

  /** Forgets a deleted repl (no event: there is nothing left to show). */
  forget(id: ReplId): void {
    this.#status.delete(id);
  }

  watch(listener: (id: ReplId, status: RuntimeStatus) => void): () => void {
    this.#events.on('status', listener);
    return () => this.#events.off('status', listener);
  }

  /** Ids of the repls that are not stopped. */
  active(): ReplId[] {
    return [...this.#status].filter(([, s]) => s.state !== 'stopped').map(([id]) => id);
  }
}
