import { EventEmitter } from 'node:events';

/** A repl record changed; what changed is read back from the database by whoever cares. */
export interface ReplRecordEvent {
  kind: 'created' | 'updated' | 'deleted';
  /** The account the repl belongs to: dashboards subscribe per owner. */
  owner: string;
  id: string;
}

/**
 * Record changes announced to every portal sharing the database, the announcing one included
 * (it hears its own events back through the same path, so there is one way events arrive).
 */
export interface EventBus {
  publish(event: ReplRecordEvent): Promise<void>;
  /** Calls `listener` for every event from now on; returns unsubscribe. */
  subscribe(listener: (event: ReplRecordEvent) => void): () => void;
  close(): Promise<void>;
}

/** The bus of one process: with SQLite there is one portal, so nobody else needs to hear. */
export class LocalEventBus implements EventBus {
  readonly #emitter = new EventEmitter<{ event: [ReplRecordEvent] }>();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  async publish(event: ReplRecordEvent): Promise<void> {
    // Asynchronous like a bus across processes: a publisher never runs listeners on its own stack.
    queueMicrotask(() => this.#emitter.emit('event', event));
  }

  subscribe(listener: (event: ReplRecordEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/** Checks an event that came over the wire (another process wrote it; trust its shape no further). */
export function parseReplRecordEvent(text: string): ReplRecordEvent | undefined {
  try {
    const value = JSON.parse(text) as Partial<ReplRecordEvent>;
    if ((value.kind === 'created' || value.kind === 'updated' || value.kind === 'deleted') && typeof value.owner === 'string' && typeof value.id === 'string') {
      return { kind: value.kind, owner: value.owner, id: value.id };
    }
  } catch {
    // ignored: not ours
  }
  return undefined;
}
