import fs from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import type { AppError } from './errors.js';

/** Answers `body` as JSON, with its length. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A request's whole body, at most `limit` bytes, for the servers whose callers may be hostile (a
 * repl's agent, a repl's own processes). A declared length over the limit is refused before
 * anything is kept (the body is drained, so the answer reaches the client); a body that grows
 * past it is cut off. `tooLarge` makes the refusal: with the declared length when that was it.
 */
export function readBody(req: http.IncomingMessage, limit: number, tooLarge: (declared?: number) => AppError): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(tooLarge(declared));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Listens on a unix socket at `socketPath` (a stale one there is replaced) that only its owner
 * and root may open: `uid` when given, else this process's own user.
 */
export function listenUnixSocket(server: net.Server, socketPath: string, uid?: number): Promise<void> {
  fs.rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      fs.chmodSync(socketPath, 0o600);
      if (uid !== undefined) fs.chownSync(socketPath, uid, uid);
      resolve();
    });
  });
}
