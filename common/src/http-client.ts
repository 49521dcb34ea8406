import http from 'node:http';
import { AppError, type ErrorBody, ERROR_STATUS, type ErrorCode } from './errors.js';

export interface SocketRequest {
  socketPath: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
}

export interface SocketResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request over a unix socket, whole body buffered. Used to talk to agents and code-server. */
export function requestOverSocket(req: SocketRequest): Promise<SocketResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host: 'localhost', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const outgoing = http.request(
      { socketPath: req.socketPath, method: req.method ?? 'GET', path: req.path, headers, timeout: req.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new AppError('TIMEOUT', `no answer from ${req.socketPath} within ${req.timeoutMs ?? 30_000} ms`)));
    outgoing.on('error', reject);
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
