import type { ApiClient } from './api-client.js';
import type { Repl } from './types.js';

export type FeedMode = 'connecting' | 'live' | 'polling';

export interface ReplFeedEvents {
  repl: CustomEvent<Repl>;
  deleted: CustomEvent<{ id: string }>;
  mode: CustomEvent<FeedMode>;
  /** The stream (re)connected: events may have been missed; read the list again. */
  resync: CustomEvent<undefined>;
}

/** How often the fallback polls, when the server has no event stream. */
export const POLL_MS = 5_000;

/**
 * The account's repls as they change: `GET /api/events` (server-sent events: `repl` carries a
 * Repl view, `deleted` an id), which EventSource reconnects by itself after network errors.
 * When the stream is refused outright (a portal without that route answers 404, which closes an
 * EventSource for good), it falls back to polling `GET /api/repls`.
 */
export class ReplFeed extends EventTarget {
  #source: EventSource | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #known = new Set<string>();
  mode: FeedMode = 'connecting';

  constructor(private readonly api: ApiClient) {
    super();
  }

  /** Listens to one kind of change; answers the function that stops listening. */
  on<K extends keyof ReplFeedEvents>(type: K, listener: (event: ReplFeedEvents[K]) => void): () => void {
    const handler = listener as unknown as EventListener;
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  #emit<K extends keyof ReplFeedEvents>(type: K, detail: ReplFeedEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setMode(mode: FeedMode): void {
    this.mode = mode;
    this.#emit('mode', mode);
  }

  /** Starts listening; call after the session exists (the stream needs the cookie). */
  start(): void {
    if (this.#source || this.#timer) return;
    const source = new EventSource('/api/events');
    this.#source = source;
    source.addEventListener('open', () => {
      this.#setMode('live');
      this.#emit('resync', undefined);
    });
    source.addEventListener('repl', (event) => {
      const repl = JSON.parse((event as MessageEvent<string>).data) as Repl;
      this.#known.add(repl.id);
      this.#emit('repl', repl);
    });
    source.addEventListener('deleted', (event) => {
      const { id } = JSON.parse((event as MessageEvent<string>).data) as { id: string };
      this.#known.delete(id);
      this.#emit('deleted', { id });
    });
    source.addEventListener('error', () => {
      // CONNECTING: EventSource retries on its own. CLOSED: the server refused the stream.
      if (source.readyState !== EventSource.CLOSED) return;
      source.close();
      this.#source = undefined;
      this.#startPolling();
    });
  }

  #startPolling(): void {
    this.#setMode('polling');
    void this.poll();
    this.#timer = setInterval(() => void this.poll(), POLL_MS);
  }

  /** One look at the whole list: every repl as an update, the vanished ones as deleted. */
  async poll(): Promise<void> {
    let repls: Repl[];
    try {
      repls = await this.api.repls();
    } catch {
      return; // The next tick tries again.
    }
    const seen = new Set(repls.map((r) => r.id));
    for (const id of this.#known) if (!seen.has(id)) this.#emit('deleted', { id });
    this.#known = seen;
    for (const repl of repls) this.#emit('repl', repl);
  }

  close(): void {
    this.#source?.close();
    this.#source = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
