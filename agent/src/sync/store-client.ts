import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@codeyard/common/errors';
import type { AgentSyncConfig } from '@codeyard/common/agent/config';
import { errorFromResponse } from '@codeyard/common/http-client';
import { parseWorkspaceManifest, type WorkspaceManifest } from '@codeyard/common/workspace-manifest';

/**
 * The agent's way to its workspace in the object store: the portal's workspace relay (see
 * portal/src/store/workspace-relay.ts), one per repl, on a unix socket the runtime puts in the
 * sandbox, or (in a pod) the portal's network relay, with this repl's own credential. The relay
 * holds the store's credentials and can reach this repl's workspace only.
 *
 *   GET  /manifest              the current manifest (version 0 and no entries when new)
 *   GET  /blobs/<sha256>        one file's content
 *   PUT  /blobs/<sha256>        uploads content; the relay checks it hashes to the name
 *   PUT  /manifest?base=<n>     replaces the manifest if its version is still n
 */
export interface WorkspaceRemote {
  manifest(): Promise<WorkspaceManifest>;
  /** Writes blob `hash` into `file` (created or truncated). */
  download(hash: string, file: string, mode: number): Promise<void>;
  /** Uploads `file`, which must hash to `hash` and be `size` bytes. */
  upload(hash: string, file: string, size: number): Promise<void>;
  /** Answers the version written. */
  commit(manifest: WorkspaceManifest, base: number): Promise<number>;
}

const TIMEOUT_MS = 120_000;
/** Tries of one upload while the relay answers busy (429). */
const MAX_BUSY_RETRIES = 40;

export class RelayClient implements WorkspaceRemote {
  readonly #where: { socketPath: string } | { url: URL; token: string };

  /** The relay's socket path, or its URL and the repl's credential (a sync config says which). */
  constructor(relay: string | Pick<AgentSyncConfig, 'socket' | 'url' | 'token'>) {
    const config = typeof relay === 'string' ? { socket: relay } : relay;
    if (config.url) this.#where = { url: new URL(config.url.endsWith('/') ? config.url : `${config.url}/`), token: config.token ?? '' };
    else if (config.socket) this.#where = { socketPath: config.socket };
    else throw new Error('the sync config names no relay: give its socket, or its url and token');
  }

  async manifest(): Promise<WorkspaceManifest> {
    const res = await this.#request('GET', '/manifest');
    return parseWorkspaceManifest(JSON.parse((await this.#body(res)).toString('utf8')), 'workspace manifest');
  }

  async download(hash: string, file: string, mode: number): Promise<void> {
    const res = await this.#request('GET', `/blobs/${hash}`);
    if (res.statusCode !== 200) await this.#body(res);
    await pipeline(res, fs.createWriteStream(file, { mode }));
  }

  /**
   * The relay serves a few uploads per repl at once and answers 429 beyond: wait as it asks
   * (with jitter, so parallel uploads spread out) and send again, for a bounded while.
   */
  async upload(hash: string, file: string, size: number): Promise<void> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#uploadOnce(hash, file, size);
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'RATE_LIMITED') || attempt >= MAX_BUSY_RETRIES || Date.now() > deadline) throw err;
        const waitMs = Math.min(5_000, 100 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  async #uploadOnce(hash: string, file: string, size: number): Promise<void> {
    const changed = (): AppError => new AppError('CONFLICT', `${file} changed while it was being saved`);
    const handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    if ((await handle.stat()).size !== size) {
      await handle.close();
      throw changed();
    }
    // Exactly `size` bytes go out, whatever happens to the file meanwhile (the relay checks the hash).
    let sent = 0;
    const body = size === 0 ? '' : handle.createReadStream({ start: 0, end: size - 1 });
    if (typeof body !== 'string') {
      body.on('data', (chunk) => (sent += chunk.length));
      body.on('end', () => {
        if (sent !== size) body.destroy(changed());
      });
    } else await handle.close();
    try {
      const res = await this.#request('PUT', `/blobs/${hash}`, body, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
      await this.#body(res);
    } finally {
      // Refused before all of it was read (429, quota): stop reading the file.
      if (typeof body !== 'string') body.destroy();
    }
  }

  async commit(manifest: WorkspaceManifest, base: number): Promise<number> {
    const text = JSON.stringify(manifest);
    const res = await this.#request('PUT', `/manifest?base=${base}`, text, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    return (JSON.parse((await this.#body(res)).toString('utf8')) as { version: number }).version;
  }

  #request(method: string, path: string, body?: NodeJS.ReadableStream | string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const where = this.#where;
      const options: http.RequestOptions = { method, headers: { host: 'relay', ...headers }, timeout: TIMEOUT_MS };
      let req: http.ClientRequest;
      if ('socketPath' in where) req = http.request({ ...options, socketPath: where.socketPath, path }, resolve);
      else {
        // Relative to the relay's URL (no leading slash), so a path prefix in it is kept.
        const url = new URL(path.slice(1), where.url);
        const auth = { ...options, headers: { ...headers, authorization: `Bearer ${where.token}` } };
        req = (url.protocol === 'https:' ? https : http).request(url, auth, resolve);
      }
      req.on('timeout', () => req.destroy(new AppError('TIMEOUT', `the workspace store relay did not answer ${method} ${path} within ${TIMEOUT_MS / 1000}s`)));
      req.on('error', (err) => reject(err instanceof AppError ? err : new AppError('UNAVAILABLE', `the workspace store relay is unreachable (${err.message})`)));
      if (body === undefined) req.end();
      else if (typeof body === 'string') req.end(body);
      else body.on('error', (err) => req.destroy(err)).pipe(req);
    });
  }

  /** The whole body of a successful answer; an error answer becomes its AppError. */
  async #body(res: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if ((res.statusCode ?? 500) >= 300) throw errorFromResponse({ status: res.statusCode ?? 500, headers: res.headers, body }, 'workspace store relay');
    return body;
  }
}
