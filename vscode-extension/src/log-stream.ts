import http from 'node:http';
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
 * Polls `url` until something answers HTTP (any status), the deadline passes or `cancelled()`
 * says to stop. Resolves true when the app answered.
 */
export async function waitForHttp(url: string, options: { timeoutMs: number; intervalMs?: number; cancelled?: () => boolean }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !options.cancelled?.()) {
    if (await answers(url)) return true;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  return false;
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
