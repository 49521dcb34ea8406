import type { Repl } from '@codeyard/common/api/models';
import type { ConnectionState } from '../shared/ipc-channels.js';
import { readEvents } from './event-stream.js';
import { PortalClient, PortalError } from './portal-client.js';
import { Reconnector, type Scheduler } from './reconnector.js';

export interface ConnectionListener {
  repl(repl: Repl): void;
  deleted(id: string): void;
  state(state: ConnectionState): void;
  /** The stream (re)opened: changes may have been missed, read what you show again. */
  resync(): void;
}

/**
 * The app's live link to one signed-in server: the account's repl changes from
 * `GET /api/events` (the same stream the dashboard reads), so Run pressed in VS Code, the web
 * page or the API shows in the toolbar, title, badge and tray. When the stream breaks, the
 * state turns `offline` and a Reconnector brings it back by itself once the server answers
 * `/healthz`; a 401 turns it `signed-out` (the token was revoked elsewhere) and stops.
 */
export class ServerConnection {
  readonly #client: PortalClient;
  readonly #listeners = new Set<ConnectionListener>();
  readonly #reconnector: Reconnector;
  #abort: AbortController | undefined;
  #state: ConnectionState = { state: 'online' };
  #closed = false;

  constructor(options: { client: PortalClient; scheduler: Scheduler }) {
    this.#client = options.client;
    this.#reconnector = new Reconnector({
      scheduler: options.scheduler,
      probe: () => this.#client.healthy(),
      reconnect: () => this.#open(),
      onWaiting: (attempt, retryAt) => this.#setState({ state: 'offline', server: this.#client.server, reason: this.#lastError, retryAt: new Date(retryAt).toISOString(), attempt }),
    });
  }

  #lastError = 'the connection was lost';

  get state(): ConnectionState {
    return this.#state;
  }

  get client(): PortalClient {
    return this.#client;
  }

  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    listener.state(this.#state);
    return () => this.#listeners.delete(listener);
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    for (const l of this.#listeners) l.state(state);
  }

  start(): void {
    void this.#open().catch(() => undefined);
  }

  retryNow(): void {
    this.#reconnector.retryNow();
  }

  /** Opens the stream and reads it until it ends; any end that was not asked for is a failure. */
  async #open(): Promise<void> {
    if (this.#closed) return;
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    let res: Response;
    try {
      res = await this.#client.send('/api/events', { signal: abort.signal, timeout: false, headers: { accept: 'text/event-stream' } });
    } catch (err) {
      if (abort.signal.aborted) return;
      this.#lastError = err instanceof Error ? err.message : String(err);
      this.#reconnector.failed();
      return;
    }
    if (res.status === 401) {
      const error = await PortalClient.errorOf(res);
      this.#setState({ state: 'signed-out', server: this.#client.server, message: error.message });
      return;
    }
    if (!res.ok || !res.body) {
      this.#lastError = (await PortalClient.errorOf(res)).message;
      this.#reconnector.failed();
      return;
    }
    this.#reconnector.succeeded();
    this.#setState({ state: 'online' });
    for (const l of this.#listeners) l.resync();
    void this.#read(res.body, abort);
  }

  async #read(body: ReadableStream<Uint8Array>, abort: AbortController): Promise<void> {
    try {
      for await (const event of readEvents(body, abort.signal)) {
        if (event.event === 'repl') {
          const repl = JSON.parse(event.data) as Repl;
          for (const l of this.#listeners) l.repl(repl);
        } else if (event.event === 'deleted') {
          const { id } = JSON.parse(event.data) as { id: string };
          for (const l of this.#listeners) l.deleted(id);
        }
      }
      this.#lastError = `${this.#client.server} closed the connection`;
    } catch (err) {
      this.#lastError = err instanceof PortalError || err instanceof Error ? err.message : String(err);
    }
    if (abort.signal.aborted || this.#closed) return;
    this.#reconnector.failed();
  }

  close(): void {
    this.#closed = true;
    this.#reconnector.stop();
    this.#abort?.abort();
    this.#listeners.clear();
  }
}
