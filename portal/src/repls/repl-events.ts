import { EventEmitter } from 'node:events';
import type { ReplEvent, ReplView } from './repl-record.js';

/**
 * The live changes of each account's repls, for dashboards (GET /api/events). Views take a while
 * to make (they ask the agent, which may be busy stopping), so announcements of one repl can
 * finish out of order: a 'stopping' view sent after the 'stopped' one would leave a dashboard
 * showing the repl stopping forever. Only the latest announcement of a repl is sent; an older one
 * still on its way is dropped.
 */
export class ReplEvents {
  readonly #emitter = new EventEmitter<{ change: [string, ReplEvent] }>();
  /** Announcements started so far, and the latest one per repl. */
  #started = 0;
  readonly #latest = new Map<string, number>();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  /** Calls `listener` with every change of `owner`'s repls; returns unsubscribe. */
  watch(owner: string, listener: (event: ReplEvent) => void): () => void {
    const relay = (account: string, event: ReplEvent): void => {
      if (account === owner) listener(event);
    };
    this.#emitter.on('change', relay);
    return () => this.#emitter.off('change', relay);
  }

  /** Sends the repl's view as `load` makes it (undefined: the repl is gone), unless a later announcement overtook it. */
  async announce(id: string, load: () => Promise<{ owner: string; view: ReplView } | undefined>): Promise<void> {
    if (this.#emitter.listenerCount('change') === 0) return;
    const turn = ++this.#started;
    this.#latest.set(id, turn);
    try {
      const loaded = await load();
      if (this.#latest.get(id) !== turn) return;
      if (loaded) this.#emitter.emit('change', loaded.owner, { type: 'repl', repl: loaded.view });
    } finally {
      if (this.#latest.get(id) === turn) this.#latest.delete(id);
    }
  }

  deleted(owner: string, id: string): void {
    this.#emitter.emit('change', owner, { type: 'deleted', id });
  }

  close(): void {
    this.#emitter.removeAllListeners();
  }
}
