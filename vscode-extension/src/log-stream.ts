import net from 'node:net';
import type { LogFrame } from '@codeyard/common/agent/protocol';
import { APP_LOGS_SOCKET_PATH } from '@codeyard/common/agent/routes';
import WebSocket from 'ws';

export interface LogStreamEvents {
  frame(frame: LogFrame): void;
  /** Connected (true) or lost (false). After a reconnect the agent replays its backlog. */
  connection(connected: boolean): void;
}

/**
 * The agent's `/app/logs` WebSocket, kept open: when the agent restarts (or the socket is not
 * there yet) it reconnects with a growing pause, reset once a connection holds.
 */
export class LogStream {
  #ws?: WebSocket;
  #timer?: NodeJS.Timeout;
  #attempt = 0;
  #closed = false;
  #connected = false;

  constructor(
    readonly socketPath: string,
    private readonly on: LogStreamEvents,
    private readonly backoff = { initialMs: 250, maxMs: 5000 },
  ) {}

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#closed = false;
    this.#connect();
  }

  #connect(): void {
    if (this.#closed) return;
    const ws = new WebSocket(`ws+unix://${this.socketPath}:${APP_LOGS_SOCKET_PATH}`, { handshakeTimeout: 10_000 });
    this.#ws = ws;
    ws.on('open', () => {
      this.#attempt = 0;
      this.#connected = true;
      this.on.connection(true);
    });
    ws.on('message', (data) => {
      let frame: LogFrame;
      try {
        frame = JSON.parse(data.toString()) as LogFrame;
      } catch {
        return;
      }
      if (frame && (frame.type === 'output' || frame.type === 'state')) this.on.frame(frame);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (this.#connected) {
        this.#connected = false;
        this.on.connection(false);
      }
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#closed) return;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 16);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.terminate();
  }
}

/**
 * Polls the app's port until something accepts a connection there, the deadline passes or
 * `cancelled()` says to stop. Resolves true once it listens. A bare connection, closed at once
 * with nothing sent: an HTTP request would be one more visit in the user's app (its log, its
 * counters, a route with side effects).
 */
export async function waitForPort(port: number, options: { host?: string; timeoutMs: number; intervalMs?: number; cancelled?: () => boolean }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !options.cancelled?.()) {
    if (await accepts(options.host ?? '127.0.0.1', port)) return true;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  return false;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    const done = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
