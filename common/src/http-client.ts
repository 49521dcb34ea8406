import http from 'node:http';
import type net from 'node:net';
import { AppError, type ErrorBody, ERROR_STATUS, type ErrorCode } from './errors.js';

export interface SocketRequest {
  /** The unix socket; with `connect`, only the name messages use for the other side. */
  socketPath: string;
  /** Opens the connection instead (a pod's agent gate, whose first line is written first). */
  connect?: () => net.Socket;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** The whole exchange, answer included, must end within this (default 30 s). */
  timeoutMs?: number;
  /** Largest answer body read; a longer one fails (default {@link DEFAULT_MAX_REPLY_BYTES}). */
  maxBytes?: number;
}

export interface SocketResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What requestOverSocket() reads of an answer unless told otherwise. */
export const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;

/**
 * One HTTP request over a unix socket, whole body buffered. Used to talk to agents and
 * code-server, which run as the repl's user: the answer is read only up to `maxBytes` and only
 * within `timeoutMs`, so a hostile one can neither fill the caller's memory nor hold it forever.
 */
export function requestOverSocket(req: SocketRequest): Promise<SocketResponse> {
  const timeoutMs = req.timeoutMs ?? 30_000;
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_REPLY_BYTES;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host: 'localhost', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const fail = (err: Error): void => {
      clearTimeout(deadline);
      outgoing.destroy();
      reject(err);
    };
    const tooLarge = (): AppError =>
      new AppError('UPSTREAM', `the answer from ${req.socketPath} to ${req.method ?? 'GET'} ${req.path} is over the ${maxBytes} bytes (${(maxBytes / 1024 / 1024).toFixed(0)} MiB) limit`);
    const outgoing = http.request(
      { ...(req.connect ? { createConnection: req.connect } : { socketPath: req.socketPath }), method: req.method ?? 'GET', path: req.path, headers, timeout: timeoutMs },
      (res) => {
        if (Number(res.headers['content-length']) > maxBytes) return fail(tooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return fail(tooLarge());
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) });
        });
        res.on('error', fail);
      },
    );
    // `timeout` above is per idle socket; this bounds the whole exchange (a slow drip too).
    const deadline = setTimeout(() => fail(new AppError('TIMEOUT', `no whole answer from ${req.socketPath} within ${timeoutMs} ms`)), timeoutMs);
    outgoing.on('timeout', () => fail(new AppError('TIMEOUT', `no answer from ${req.socketPath} within ${timeoutMs} ms`)));
    outgoing.on('error', fail);
    outgoing.end(req.body);
  });
}

/** Turns an error answer from another Codeyard component back into the same AppError. */
export function errorFromResponse(res: SocketResponse, context: string): AppError {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as ErrorBody;
    if (body?.error?.code && body.error.code in ERROR_STATUS) {
      return new AppError(body.error.code as ErrorCode, body.error.message, body.error.details);
    }
  } catch {
    // not one of ours: fall through
  }
  return new AppError('UPSTREAM', `${context}: HTTP ${res.status}`);
}
