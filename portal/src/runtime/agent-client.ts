import type { AppState, ExecRequest, ExecResult, FileEntry, SyncStatus, Target } from '@codeyard/common/agent-protocol';
import { AppError } from '@codeyard/common/errors';
import { errorFromResponse, requestOverSocket, type SocketResponse } from '@codeyard/common/http-client';

function encodePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/** Largest JSON answer read from an agent (status, listings, exec output). */
export const MAX_AGENT_JSON_BYTES = 8 * 1024 * 1024;
/** Largest file read through an agent unless the caller allows more. */
export const MAX_AGENT_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The portal's side of the repl agent's control API (see agent/src/control-server.ts). The agent
 * runs as the repl's user, so its answers are read as hostile: bounded in size and in time.
 */
export class AgentClient {
  readonly #socketPath: string;
  readonly #maxFileBytes: number;

  constructor(target: Target, limits: { maxFileBytes?: number } = {}) {
    if (target.kind !== 'unix') throw new Error(`the agent client speaks over unix sockets only, not ${target.kind}`);
    this.#socketPath = target.socketPath;
    this.#maxFileBytes = limits.maxFileBytes ?? MAX_AGENT_FILE_BYTES;
  }

  get socketPath(): string {
    return this.#socketPath;
  }

  async #call(method: string, path: string, options: { body?: Buffer | string; json?: boolean; timeoutMs?: number; maxBytes?: number } = {}): Promise<SocketResponse> {
    let res: SocketResponse;
    try {
      res = await requestOverSocket({
        socketPath: this.#socketPath,
        method,
        path,
        body: options.body,
        headers: options.json ? { 'content-type': 'application/json' } : undefined,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes ?? MAX_AGENT_JSON_BYTES,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('UPSTREAM', `the repl agent is not answering (${(err as Error).message}); try again, or stop and start the repl`);
    }
    if (res.status >= 400) throw errorFromResponse(res, `repl agent ${method} ${path}`);
    return res;
  }

  async #json<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const res = await this.#call(method, path, { body: body === undefined ? undefined : JSON.stringify(body), json: body !== undefined, timeoutMs });
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  async healthy(): Promise<boolean> {
    try {
      await this.#call('GET', '/healthz', { timeoutMs: 2000 });
      return true;
    } catch {
      return false;
    }
  }

  app(): Promise<AppState> {
    return this.#json('GET', '/app');
  }

  startApp(): Promise<AppState> {
    return this.#json('POST', '/app/start');
  }

  stopApp(): Promise<AppState> {
    return this.#json('POST', '/app/stop', undefined, 15_000);
  }

  /** Ends the app, VS Code and every other process of the repl, so nothing writes during the last save. */
  quiesce(): Promise<{ ended: number; left: number[] }> {
    // The app gets up to 15 s to stop, then the sweep up to 8 s more.
    return this.#json('POST', '/quiesce', undefined, 30_000);
  }

  /** The workspace sync's state (restore progress while starting). */
  sync(): Promise<SyncStatus> {
    return this.#json('GET', '/sync', undefined, 2000);
  }

  /** Saves everything now; rejects (503) when the store cannot take it. */
  flushSync(timeoutMs: number): Promise<SyncStatus> {
    return this.#json('POST', '/sync/flush', undefined, timeoutMs);
  }

  /** Makes a warm-pool agent the agent of one repl: its sync starts (restoring its files). */
  activate(body: { sync: { socket: string; debounceMs?: number; scanIntervalMs?: number }; info: { name: string; stack: string; port: number; previewUrl: string } }, timeoutMs: number): Promise<SyncStatus> {
    return this.#json('POST', '/activate', body, timeoutMs);
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return this.#json('POST', '/exec', request, (request.timeoutMs ?? 30_000) + 10_000);
  }

  listFiles(dir: string): Promise<FileEntry[]> {
    return this.#json('GET', `/files?dir=${encodeURIComponent(dir)}`);
  }

  async readFile(file: string): Promise<Buffer> {
    return (await this.#call('GET', `/files/${encodePath(file)}`, { maxBytes: this.#maxFileBytes })).body;
  }

  async writeFile(file: string, body: Buffer): Promise<{ created: boolean }> {
    return JSON.parse((await this.#call('PUT', `/files/${encodePath(file)}`, { body })).body.toString('utf8')) as { created: boolean };
  }

  async deleteFile(file: string): Promise<void> {
    await this.#call('DELETE', `/files/${encodePath(file)}`);
  }
}
