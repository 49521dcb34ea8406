import type pg from 'pg';
import { type EventBus, LocalEventBus, parseReplRecordEvent, type ReplRecordEvent } from './event-bus.js';

/**
 * Record events between portal replicas through PostgreSQL's LISTEN/NOTIFY: one connection of
 * its own listens (a pooled one would be handed to queries), publishing is a `pg_notify` on the
 * pool. A lost listening connection is reopened; events sent meanwhile are missed, which a
 * dashboard survives (it reloads the list when its stream reconnects).
 */
export class PgEventBus implements EventBus {
  /** This process's subscribers, told of every event the connection hears. */
  readonly #local = new LocalEventBus();
  #client: pg.Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  private constructor(
    readonly channel: string,
    readonly pool: pg.Pool,
    readonly connect: () => pg.Client,
    readonly log: { error(obj: object, msg: string): void },
  ) {}

  /** Listening on `channel` before it returns, so nothing published after it is missed. */
  static async open(options: { channel: string; pool: pg.Pool; connect: () => pg.Client; log: { error(obj: object, msg: string): void } }): Promise<PgEventBus> {
    const bus = new PgEventBus(options.channel, options.pool, options.connect, options.log);
    await bus.#listen();
    return bus;
  }

  async #listen(): Promise<void> {
    const client = this.connect();
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      const event = parseReplRecordEvent(message.payload);
      if (event) void this.#local.publish(event);
    });
    client.on('error', (err) => {
      this.log.error({ err: err.message }, 'the database event connection failed; reopening it');
      this.#reopen(client);
    });
    client.on('end', () => this.#reopen(client));
    await client.connect();
    await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    this.#client = client;
  }

  /** Reopens the listening connection after `failed` broke (or after a failed reopen). */
  #reopen(failed?: pg.Client): void {
    if (this.#closed || this.#retry) return;
    // A late event of a connection already replaced changes nothing.
    if (failed && this.#client && this.#client !== failed) return;
    failed?.end().catch(() => undefined);
    this.#client = undefined;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#listen().catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'could not reopen the database event connection');
        this.#reopen();
      });
    }, 1000);
    // Only a live portal retries; the timer never holds a closing process open.
    this.#retry.unref();
  }

  async publish(event: ReplRecordEvent): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(event)]);
  }

  subscribe(listener: (event: ReplRecordEvent) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#local.close();
    await this.#client?.end().catch(() => undefined);
  }
}

/** A channel name (only ever ours, from the schema name) as a quoted SQL identifier. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
