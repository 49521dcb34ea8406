import { AppError } from '../errors.js';
import { errorFromResponse, requestOverSocket, type SocketResponse } from '../http-client.js';
import type { ActivateRequest, ServedRepl } from './config.js';
import { connectTarget, describeTarget } from './connect.js';
import type { AppPolicy, AppState, ExecRequest, ExecResult, FileEntry, IdeLocale, NoticeRequest, QuiesceResult, ReplEnv, ReplNotice, SyncStatus, Target, WriteFileResult } from './protocol.js';
import { AGENT_ROUTES, type AgentRouteName, type RouteInput, type RouteOutput, routeUrl } from './routes.js';

/** Largest JSON (or text) answer read from an agent: status, listings, exec output, logs. */
export const MAX_AGENT_JSON_BYTES = 8 * 1024 * 1024;
/** Largest file read through an agent unless the caller allows more. */
export const MAX_AGENT_FILE_BYTES = 64 * 1024 * 1024;

export interface AgentClientOptions {
  /** Largest file readFile() accepts (default {@link MAX_AGENT_FILE_BYTES}). */
  maxFileBytes?: number;
}

export interface CallOptions {
  /** Instead of the route's own timeout (a save's depends on the workspace). */
  timeoutMs?: number;
}

/**
 * The one client of the repl agent's control API (the portal's and the VS Code extension's),
 * built from the route table. The agent runs as the repl's user, so its answers are read as
 * hostile: bounded in size (JSON at {@link MAX_AGENT_JSON_BYTES}, files at `maxFileBytes`) and
 * in time (the route's timeout, for the whole exchange). Every failure is an AppError: the
 * agent's own (with its code and HTTP `status`), UPSTREAM when it does not answer, TIMEOUT.
 */
export class AgentClient {
  /** Where the agent answers: its control socket, or a pod's gate to its control API. */
  readonly target: Target;
  /** The control socket's path (or, for a gate, its address, for messages). */
  readonly socketPath: string;
  readonly #maxFileBytes: number;

  /** `target` is the agent's control socket (a Target, or its path) or its gate (`to: control`). */
  constructor(target: Target | string, options: AgentClientOptions = {}) {
    this.target = typeof target === 'string' ? { kind: 'unix', socketPath: target } : target;
    if (this.target.kind !== 'unix' && !(this.target.kind === 'gate' && this.target.to.to === 'control')) {
      throw new Error(`the agent client speaks to a control socket or a gate's control API, not ${describeTarget(this.target)}`);
    }
    this.socketPath = describeTarget(this.target);
    this.#maxFileBytes = options.maxFileBytes ?? MAX_AGENT_FILE_BYTES;
  }

  /** One call of route `name` with `input` (see AgentRouteTypes for each route's input). */
  async call<N extends AgentRouteName>(name: N, input: RouteInput<N>, options: CallOptions = {}): Promise<RouteOutput<N>> {
    const route = AGENT_ROUTES[name];
    const path = routeUrl(route, input);
    const body = route.body === 'json' ? JSON.stringify(input) : route.body === 'bytes' ? (input as { bytes: Buffer }).bytes : undefined;
    const timeoutMs = options.timeoutMs ?? (typeof route.timeoutMs === 'function' ? route.timeoutMs(input) : route.timeoutMs);
    let res: SocketResponse;
    try {
      res = await requestOverSocket({
        socketPath: this.socketPath,
        connect: this.target.kind === 'gate' ? () => connectTarget(this.target) : undefined,
        method: route.method,
        path,
        body,
        headers: route.body === 'json' ? { 'content-type': 'application/json' } : route.body === 'bytes' ? { 'content-type': 'application/octet-stream' } : undefined,
        timeoutMs,
        maxBytes: route.reply === 'bytes' ? this.#maxFileBytes : MAX_AGENT_JSON_BYTES,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('UPSTREAM', `the repl agent is not answering (${(err as Error).message}); try again, or stop and start the repl`);
    }
    if (res.status >= 300) throw errorFromResponse(res, `repl agent ${route.method} ${path}`);
    switch (route.reply) {
      case 'bytes':
        return res.body as RouteOutput<N>;
      case 'text':
        return res.body.toString('utf8') as RouteOutput<N>;
      case 'none':
        return undefined as RouteOutput<N>;
      case 'json':
        try {
          return JSON.parse(res.body.toString('utf8')) as RouteOutput<N>;
        } catch {
          throw new AppError('UPSTREAM', `the repl agent's answer to ${route.method} ${path} is not JSON`);
        }
    }
  }

  /** True when the agent answers its health probe within 2 s. */
  async healthy(): Promise<boolean> {
    return this.call('health', undefined).then(
      () => true,
      () => false,
    );
  }

  /** Whether the repl's VS Code was given a display language (the proxy then leaves its page to code-server). */
  ideLocale(): Promise<IdeLocale> {
    return this.call('ideLocale', undefined);
  }

  /** The repl's id, name, stack and preview (a warm-pool sandbox learns them only when it is taken: 404 before). */
  info(): Promise<ServedRepl> {
    return this.call('info', undefined);
  }

  /** Makes a warm-pool agent the agent of one repl: its sync starts (restoring its files). */
  activate(request: ActivateRequest, timeoutMs?: number): Promise<SyncStatus> {
    return this.call('activate', request, { timeoutMs });
  }

  /** The workspace sync's state (restore progress while starting); 404 when the repl does not sync. */
  sync(): Promise<SyncStatus> {
    return this.call('sync', undefined);
  }

  /** Saves everything now; rejects (503) when the store cannot take it. */
  flushSync(timeoutMs?: number): Promise<SyncStatus> {
    return this.call('flushSync', undefined, { timeoutMs });
  }

  /** Ends the app, VS Code and every other process of the repl, so nothing writes during the last save. */
  quiesce(): Promise<QuiesceResult> {
    return this.call('quiesce', undefined);
  }

  app(): Promise<AppState> {
    return this.call('app', undefined);
  }

  startApp(): Promise<AppState> {
    return this.call('startApp', undefined);
  }

  stopApp(): Promise<AppState> {
    return this.call('stopApp', undefined);
  }

  /** Run again: stops the app if it runs, then starts it. */
  restartApp(): Promise<AppState> {
    return this.call('restartApp', undefined);
  }

  /** Whether the agent restarts the app when it crashes (an always-on repl). */
  setAppPolicy(policy: AppPolicy): Promise<AppState> {
    return this.call('appPolicy', policy);
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return this.call('exec', request);
  }

  listFiles(dir: string): Promise<FileEntry[]> {
    return this.call('listFiles', { dir });
  }

  readFile(file: string): Promise<Buffer> {
    return this.call('readFile', { file });
  }

  writeFile(file: string, bytes: Buffer): Promise<WriteFileResult> {
    return this.call('writeFile', { file, bytes });
  }

  deleteFile(file: string): Promise<void> {
    return this.call('deleteFile', { file });
  }

  /** The status-bar notice now (empty when there is none). */
  notice(): Promise<ReplNotice> {
    return this.call('notice', undefined);
  }

  setNotice(request: NoticeRequest): Promise<ReplNotice> {
    return this.call('setNotice', request);
  }

  /** The repl's secrets as the agent holds them (the VS Code extension gives them to new terminals). */
  env(): Promise<ReplEnv> {
    return this.call('env', undefined);
  }

  /**
   * Replaces the repl's secrets (the whole set) for its next Run, install, exec and terminal,
   * unless the agent holds a newer `revision`; the answer is the set it holds either way.
   */
  setEnv(variables: Record<string, string>, revision?: number): Promise<ReplEnv> {
    return this.call('setEnv', revision === undefined ? { variables } : { variables, revision });
  }
}
