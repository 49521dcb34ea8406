import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ActivateRequest, ServedRepl } from '@codeyard/common/agent/config';
import type { AppState, IdeLocale, LogFrame, QuiesceResult, SyncStatus } from '@codeyard/common/agent/protocol';
import { AGENT_ROUTES, type AgentRoute, type AgentRouteName, APP_LOGS_SOCKET_PATH, type RouteInput, type RouteOutput } from '@codeyard/common/agent/routes';
import { AppError, describeError, isAppError } from '@codeyard/common/errors';
import { readBody, sendJson } from '@codeyard/common/http-server';
import { runExec } from './exec.js';
import { SecretEnv } from './secret-env.js';
import type { IdeSupervisor } from './ide-supervisor.js';
import type { LogBuffer } from './log-buffer.js';
import type { RunSupervisor } from './run-supervisor.js';
import type { SyncEngine } from './sync/sync-engine.js';
import type { WorkspaceFiles } from './workspace-files.js';

/** What can change after the agent started: a warm-pool agent gets its repl later. */
export interface AgentLive {
  sync?: SyncEngine;
  /** The repl it serves (GET /info); undefined while a warm-pool agent is nobody's. */
  repl?: ServedRepl;
  /** Set on a warm-pool agent until it is activated (its request already checked). */
  activate?: (request: ActivateRequest) => Promise<SyncStatus>;
}

export interface ControlDeps {
  live: AgentLive;
  run: RunSupervisor;
  logs: LogBuffer;
  files: WorkspaceFiles;
  ide?: IdeSupervisor;
  workspace: string;
  /** The environment Run, install and exec spawn with (shared by reference): the repl's secrets are set into it. */
  env: NodeJS.ProcessEnv;
  maxFileBytes: number;
  /** Ends the app, the IDE and every other process of the repl (before a stop's last save). */
  quiesce: () => Promise<QuiesceResult>;
  /** code-server's user settings file; its display language is set in `argv.json` beside it. */
  ideSettingsFile?: string;
  /** After the repl's secrets were set (PUT /env): main.ts reruns an app it started itself before they came. */
  onSecrets?: (variables: Readonly<Record<string, string>>) => void;
}

/**
 * Largest JSON body: a repl's whole set of secrets (256 KiB of values, see ../secrets.ts), which
 * JSON may write six times as long (a control character is \u00XX), with room for the names.
 */
const MAX_JSON_BYTES = 2 * 1024 * 1024;
/** One-off commands running at once per repl: each holds up to two capped outputs in memory. */
export const MAX_CONCURRENT_EXECS = 8;

/** The agent's refusal of a body over `limit` bytes (declared: the length the request said it has). */
function payloadTooLarge(limit: number): (declared?: number) => AppError {
  return (declared) => new AppError('PAYLOAD_TOO_LARGE', declared === undefined ? `body is over ${limit} bytes` : `body is ${declared} bytes; at most ${limit} allowed`);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_JSON_BYTES, payloadTooLarge(MAX_JSON_BYTES));
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new AppError('INVALID_JSON', 'the request body is not valid JSON');
  }
}

function filePathOf(pathname: string, prefix: string): string {
  const raw = pathname.slice(prefix.length);
  try {
    return raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new AppError('INVALID_PATH', 'the file path is not valid percent-encoding');
  }
}

/**
 * The agent's HTTP API, served on its control socket and dispatched by the contract's route
 * table (@codeyard/common/agent/routes): 404 for an unknown path, 405 for a known path with
 * another method, 400 naming the field for a bad body. Who may reach it: whoever can open the
 * socket file, which lives in the repl's private run directory (the portal, and the repl's
 * own processes, which may only act on their own repl anyway).
 */
export function createControlServer(deps: ControlDeps): http.Server {
  const table = handlers(deps);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    Promise.resolve()
      .then(() => {
        const name = routeOf(req.method ?? 'GET', url.pathname, res);
        return dispatch(name, table[name] as Handlers[typeof name], req, res, url, deps.maxFileBytes);
      })
      .catch((err: unknown) => {
        const error = isAppError(err) ? err : new AppError('INTERNAL', describeError(err));
        if (!res.headersSent) sendJson(res, error.status, error.toBody());
        else res.destroy();
      });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (url.pathname !== APP_LOGS_SOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => streamLogs(ws, deps));
  });
  server.on('close', () => wss.close());
  return server;
}

function streamLogs(ws: WebSocket, deps: ControlDeps): void {
  const sendFrame = (frame: LogFrame): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  sendFrame({ type: 'state', app: deps.run.state });
  for (const frame of deps.logs.snapshot()) sendFrame(frame);
  const onState = (app: AppState): void => sendFrame({ type: 'state', app });
  deps.logs.on('frame', sendFrame);
  deps.run.on('state', onState);
  ws.on('close', () => {
    deps.logs.off('frame', sendFrame);
    deps.run.off('state', onState);
  });
  ws.on('error', () => ws.terminate());
}

/** What the agent does for each route of the table: one entry per route, typed by it. */
type Handlers = { [N in AgentRouteName]: (input: RouteInput<N>) => Promise<RouteOutput<N>> | RouteOutput<N> };

function handlers(deps: ControlDeps): Handlers {
  const noSync = (): never => {
    throw new AppError('NOT_FOUND', 'this repl does not sync its workspace');
  };
  let execs = 0;
  let notice: { text: string; until: number } | undefined;
  const secrets = new SecretEnv(deps.env);
  return {
    health: () => ({ ok: true, app: deps.run.state, ide: deps.ide?.state, sync: deps.live.sync?.status }),
    info: () => deps.live.repl ?? notFound('this sandbox is not a repl yet (warm pool)'),
    ideLocale: () => ideLocale(deps.ideSettingsFile),
    activate: (request) => {
      const activate = deps.live.activate;
      if (!activate) throw new AppError('CONFLICT', 'this agent already serves a repl');
      deps.live.activate = undefined;
      return activate(request);
    },
    sync: () => deps.live.sync?.status ?? noSync(),
    flushSync: async () => {
      const sync = deps.live.sync ?? noSync();
      try {
        return await sync.flush();
      } catch (err) {
        throw new AppError('UNAVAILABLE', `the workspace could not be saved: ${describeError(err)}; the files stay here and saving is retried`);
      }
    },
    quiesce: () => deps.quiesce(),
    app: () => deps.run.state,
    startApp: () => deps.run.start(),
    stopApp: () => deps.run.stop(),
    restartApp: () => deps.run.restart(),
    appPolicy: ({ keepRunning }) => deps.run.setPolicy(keepRunning),
    appLogs: () => deps.logs.text(),
    exec: async (request) => {
      if (execs >= MAX_CONCURRENT_EXECS) throw new AppError('RATE_LIMITED', `${MAX_CONCURRENT_EXECS} commands are already running in this repl; wait for one to finish`);
      execs++;
      try {
        return await runExec({ command: request.command, timeoutMs: request.timeoutMs, cwd: deps.workspace, env: request.withoutSecrets ? secrets.withoutSecrets() : deps.env });
      } finally {
        execs--;
      }
    },
    listFiles: ({ dir }) => deps.files.list(dir),
    readFile: ({ file }) => deps.files.read(file, deps.maxFileBytes),
    writeFile: async ({ file, bytes }) => ({ path: file, created: await deps.files.write(file, bytes) }),
    deleteFile: ({ file }) => deps.files.remove(file),
    notice: () => (notice && notice.until > Date.now() ? { text: notice.text, until: new Date(notice.until).toISOString() } : {}),
    setNotice: ({ text, seconds }) => {
      notice = { text, until: Date.now() + seconds * 1000 };
      return { text, until: new Date(notice.until).toISOString() };
    },
    env: () => secrets.get(),
    setEnv: ({ variables, revision }) => {
      // A late (older) set changes nothing, so it is nothing an always-on app should rerun for.
      if (!secrets.takes(revision)) return secrets.get();
      const env = secrets.set(variables, revision);
      deps.onSecrets?.(variables);
      return env;
    },
  };
}

/**
 * Whether `argv.json` is beside the settings file (anything by that name: a link or a folder the
 * user put there counts as set, so code-server decides). Without an IDE there is nothing to make.
 */
async function ideLocale(settingsFile: string | undefined): Promise<IdeLocale> {
  if (!settingsFile) return { configured: true };
  try {
    await fs.lstat(path.join(path.dirname(settingsFile), 'argv.json'));
    return { configured: true };
  } catch (err) {
    return { configured: (err as NodeJS.ErrnoException).code !== 'ENOENT' };
  }
}

function notFound(message: string): never {
  throw new AppError('NOT_FOUND', message);
}

const ROUTE_NAMES = Object.keys(AGENT_ROUTES) as AgentRouteName[];

/** The route a request is for: 404 when no path matches, 405 when the path has no such method. */
function routeOf(method: string, pathname: string, res: http.ServerResponse): AgentRouteName {
  const matching = ROUTE_NAMES.filter((name) => {
    const route = AGENT_ROUTES[name];
    return route.file ? pathname.startsWith(route.path) && pathname.length > route.path.length : pathname === route.path;
  });
  const found = matching.find((name) => AGENT_ROUTES[name].method === method);
  if (found) return found;
  if (matching.length === 0) throw new AppError('NOT_FOUND', `no agent route ${method} ${pathname}`);
  const allowed = matching.map((name) => AGENT_ROUTES[name].method);
  res.setHeader('allow', allowed.join(', '));
  throw new AppError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${pathname}; use ${allowed.join(' or ')}`);
}

/** Builds a route's input from the request, exactly as the client sent it (bodies checked). */
async function inputOf<N extends AgentRouteName>(route: AgentRoute<N>, req: http.IncomingMessage, url: URL, maxFileBytes: number): Promise<RouteInput<N>> {
  if (route.file) {
    const file = filePathOf(url.pathname, route.path);
    return (route.body === 'bytes' ? { file, bytes: await readBody(req, maxFileBytes, payloadTooLarge(maxFileBytes)) } : { file }) as RouteInput<N>;
  }
  if (route.query) return { [route.query]: url.searchParams.get(route.query) ?? '' } as RouteInput<N>;
  if (route.body !== 'json') return undefined as RouteInput<N>;
  const body = await readJson(req);
  return route.parse ? route.parse(body) : (body as RouteInput<N>);
}

async function dispatch<N extends AgentRouteName>(name: N, handle: Handlers[N], req: http.IncomingMessage, res: http.ServerResponse, url: URL, maxFileBytes: number): Promise<void> {
  const route: AgentRoute<N> = AGENT_ROUTES[name];
  const output = await handle(await inputOf(route, req, url, maxFileBytes));
  const status = route.status?.(output) ?? 200;
  switch (route.reply) {
    case 'json':
      return sendJson(res, status, output);
    case 'text': {
      const text = String(output);
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    case 'bytes': {
      const body = output as Buffer;
      res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      return void res.end(body);
    }
    case 'none':
      res.writeHead(status);
      return void res.end();
  }
}
