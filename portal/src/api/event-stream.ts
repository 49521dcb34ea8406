import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@codeyard/common/errors';

/** An open server-sent events stream: `send` writes one event; `closed` once the client went away. */
export interface EventStream {
  send(event: string, data: unknown): void;
  /** Ends the stream from this side (nothing more will come: the class was deleted). */
  end(): void;
  /** Runs `stop` when the client goes (at once when it already has). */
  onClose(stop: () => void): void;
}

/**
 * Server-sent event streams of one kind (the dashboard's, a class's), at most `max` open per
 * account: each holds a socket and a listener, so one account cannot pile them up. `what`
 * names them in the 429 ("live status streams").
 */
export class EventStreams {
  readonly #open = new Map<string, number>();

  constructor(
    readonly max: number,
    readonly what: string,
  ) {}

  /** Takes over the reply as a stream for `account`, or refuses (429) when it holds `max` of them already. */
  open(request: FastifyRequest, reply: FastifyReply, account: string): EventStream {
    const open = this.#open.get(account) ?? 0;
    if (open >= this.max) throw new AppError('RATE_LIMITED', `this account already has ${open} ${this.what} open; close a tab`);
    this.#open.set(account, open + 1);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n: live\n\n');
    // Comments keep idle proxies from closing the stream.
    const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
    let closed = false;
    const stops: Array<() => void> = [];
    // Once, whichever comes first: the client going, or this side ending the stream.
    const finish = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      for (const stop of stops) stop();
      const left = (this.#open.get(account) ?? 1) - 1;
      if (left > 0) this.#open.set(account, left);
      else this.#open.delete(account);
    };
    request.raw.socket.once('close', finish);
    return {
      send: (event, data) => void (closed || res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
      end: () => {
        finish();
        res.end();
      },
      onClose: (stop) => (closed ? stop() : void stops.push(stop)),
    };
  }
}
