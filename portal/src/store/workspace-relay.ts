import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AppError, describeError, isAppError } from '@codeyard/common/errors';
import { listenUnixSocket, readBody, sendJson } from '@codeyard/common/http-server';
import { blobKey, HASH_PATTERN } from '@codeyard/common/workspace-manifest';
import type { WorkspaceStore } from './workspace-store.js';

export interface RelayOptions {
  workspaces: WorkspaceStore;
  /** The one workspace this relay serves (`workspaces/<id>/`). */
  prefix: string;
  /** Largest workspace (sum of file sizes) and so largest single file. */
  quotaBytes: number;
  /** Called before each blob is stored (tests use it to cut a sync short). */
  onBlob?: (hash: string) => void | Promise<void>;
  /** Blob uploads served at once; more answer 429 and the agent retries (default 4). */
  maxConcurrentUploads?: number;
}

const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
const MAX_CONCURRENT_UPLOADS = 4;
const DRAIN_BYTES = 8 * 1024 * 1024;

/** The relay's refusal of `what` over `limit` bytes (declared: the length the request said it has). */
function overQuota(what: string, limit: number): (declared?: number) => AppError {
  return (declared) => new AppError('QUOTA_EXCEEDED', declared === undefined ? `${what} is over the ${limit} bytes allowed` : `${what} is ${declared} bytes, over the ${limit} bytes allowed`);
}

/**
 * The HTTP API a repl's agent syncs through (client: agent/src/sync/store-client.ts). One relay
 * per repl, bound to that repl's workspace prefix: who may reach it is whoever can open its
 * socket, which only that repl's sandbox sees. Every request is checked as if hostile (the
 * agent runs as the repl's user): hashes are verified as blobs stream to the store, manifests
 * validated, the quota held (uploads waiting for a manifest count too), a few uploads at once.
 */
export function createWorkspaceRelay(options: RelayOptions): http.Server {
  const server = http.createServer(relayHandler(options));
  // Uploads no manifest named: swept (past their grace period) when the repl's relay opens and
  // closes, so a repl that died mid-sync, or uploaded for nothing, leaves nothing for long.
  const sweep = (): void => void options.workspaces.gc(options.prefix).catch(() => undefined);
  sweep();
  server.on('close', sweep);
  return server;
}

/**
 * The relay's answer to one request, bound to one workspace (`options.prefix`), with its own
 * count of uploads running: what a relay socket serves, and what the network relay serves once a
 * request's credential named the repl (network-relay.ts).
 */
export function relayHandler(options: RelayOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const uploads = { running: 0, limit: options.maxConcurrentUploads ?? MAX_CONCURRENT_UPLOADS };
  return (req, res) => {
    handle(req, res, options, uploads).catch((err: unknown) => sendRelayError(req, res, err));
  };
}

/** Answers a failed relay request: the AppError's status, or a store outage (the agent retries). */
export function sendRelayError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  // Anything the store itself throws is a store outage to the agent: it retries.
  const error = isAppError(err) ? err : new AppError('UNAVAILABLE', `the object store failed: ${describeError(err)}`);
  if (res.headersSent) return void res.destroy();
  // An upload refused before its body was read: close rather than read a large one nobody
  // will keep (a small one is read and dropped, so the agent surely sees the answer).
  if (!req.complete && !(Number(req.headers['content-length']) <= DRAIN_BYTES)) res.setHeader('connection', 'close');
  if (error.code === 'RATE_LIMITED') res.setHeader('retry-after', '1');
  sendJson(res, error.status, error.toBody());
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, o: RelayOptions, uploads: { running: number; limit: number }): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://relay');
  if (url.pathname === '/manifest') {
    if (req.method === 'GET') return sendJson(res, 200, await o.workspaces.manifest(o.prefix));
    if (req.method === 'PUT') {
      const base = Number(url.searchParams.get('base'));
      if (!Number.isSafeInteger(base) || base < 0) throw new AppError('VALIDATION', 'base must be the manifest version the change starts from');
      let manifest: unknown;
      try {
        manifest = JSON.parse((await readBody(req, MAX_MANIFEST_BYTES, overQuota('the manifest', MAX_MANIFEST_BYTES))).toString('utf8'));
      } catch (err) {
        if (isAppError(err)) throw err;
        throw new AppError('INVALID_JSON', 'the manifest is not valid JSON');
      }
      const version = await o.workspaces.commit(o.prefix, manifest as never, base, o.quotaBytes);
      return sendJson(res, 200, { version });
    }
  }
  const blob = /^\/blobs\/([^/]+)$/.exec(url.pathname);
  if (blob) {
    const hash = blob[1]!;
    if (!HASH_PATTERN.test(hash)) throw new AppError('VALIDATION', `not a SHA-256 content hash: ${JSON.stringify(hash)}`);
    if (req.method === 'GET') {
      const blob = await o.workspaces.objects.getStream(blobKey(o.prefix, hash));
      if (!blob) throw new AppError('NOT_FOUND', `no stored content ${hash}`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.size });
      return void (await pipeline(blob.body, res).catch(() => res.destroy()));
    }
    if (req.method === 'PUT') {
      // The body streams to the store: memory stays flat whatever the size, and a few uploads
      // at once per repl keep one repl from taking all of the portal's store bandwidth.
      const size = Number(req.headers['content-length']);
      if (req.headers['content-length'] === undefined || !Number.isSafeInteger(size) || size < 0) {
        throw new AppError('VALIDATION', 'a blob upload needs its content-length');
      }
      if (uploads.running >= uploads.limit) throw new AppError('RATE_LIMITED', `${uploads.limit} uploads are already running for this repl; retry when one ends`);
      uploads.running++;
      try {
        await o.onBlob?.(hash);
        await o.workspaces.uploadBlob(o.prefix, hash, req, size, o.quotaBytes);
      } finally {
        uploads.running--;
      }
      res.writeHead(204);
      return void res.end();
    }
  }
  throw new AppError('NOT_FOUND', `no relay route ${req.method} ${url.pathname}`);
}

/** Serves a relay on a unix socket that only `uid` (when given) may open. */
export function listenRelay(server: http.Server, socketPath: string, uid?: number): Promise<void> {
  return listenUnixSocket(server, socketPath, uid);
}
