import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppState, ExecRequest, LogFrame } from '@codeyard/common/agent-protocol';
import { AppError, describeError, isAppError } from '@codeyard/common/errors';
import { runExec } from './exec.js';
import type { IdeSupervisor } from './ide-supervisor.js';
import type { LogBuffer } from './log-buffer.js';
import type { RunSupervisor } from './run-supervisor.js';
import type { ReplInfo } from './agent-config.js';
import type { SyncEngine } from './sync/sync-engine.js';
import type { WorkspaceFiles } from './workspace-files.js';

/** What can change after the agent started: a warm-pool agent gets its repl later. */
export interface AgentLive {
  sync?: SyncEngine;
  info?: ReplInfo;
  /** Set on a warm-pool agent until it is activated. */
  activate?: (body: unknown) => Promise<unknown>;
}

export interface ControlDeps {
  live: AgentLive;
  run: RunSupervisor;
  logs: LogBuffer;
  files: WorkspaceFiles;
  ide?: IdeSupervisor;
  workspace: string;
  env: NodeJS.ProcessEnv;
  maxFileBytes: number;
  /** Ends the app, the IDE and every other process of the repl (before a stop's last save). */
  quiesce: () => Promise<{ ended: number; left: number[] }>;
}

const MAX_JSON_BYTES = 64 * 1024;
/** One-off commands running at once per repl: each holds up to two capped outputs in memory. */
export const MAX_CONCURRENT_EXECS = 8;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new AppError('PAYLOAD_TOO_LARGE', `body is ${declared} bytes; at most ${limit} allowed`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new AppError('PAYLOAD_TOO_LARGE', `body is over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson<T>(req: http.IncomingMessage): Promise<T> {
  const body = await readBody(req, MAX_JSON_BYTES);
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new AppError('INVALID_JSON', 'the request body is not valid JSON');
  }
}

function filePathOf(pathname: string): string {
  const raw = pathname.slice('/files/'.length);
  try {
    return raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new AppError('INVALID_PATH', 'the file path is not valid percent-encoding');
  }
}

/**
 * The agent's HTTP API, served on its control socket. Who may reach it: whoever can open the
 * socket file, which lives in the repl's private run directory (the portal, and the repl's
 * own processes, which may only act on their own repl anyway).
 */
export function createControlServer(deps: ControlDeps): http.Server {
  const state = { execs: 0 };
  const server = http.createServer((req, res) => {
    handle(req, res, deps, state).catch((err: unknown) => {
      const error = isAppError(err) ? err : new AppError('INTERNAL', describeError(err));
      if (!res.headersSent) send(res, error.status, error.toBody());
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (url.pathname !== '/app/logs') {
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

async function handle(req: http.IncomingMessage, res: http.ServerResponse, deps: ControlDeps, state: { execs: number }): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /healthz':
      return send(res, 200, { ok: true, app: deps.run.state, ide: deps.ide?.state, sync: deps.live.sync?.status });
    case 'GET /info':
      if (!deps.live.info) throw new AppError('NOT_FOUND', 'this sandbox is not a repl yet (warm pool)');
      return send(res, 200, deps.live.info);
    case 'POST /activate': {
      const activate = deps.live.activate;
      if (!activate) throw new AppError('CONFLICT', 'this agent already serves a repl');
      deps.live.activate = undefined;
      return send(res, 200, await activate(await readJson(req)));
    }
    case 'GET /sync':
      if (!deps.live.sync) throw new AppError('NOT_FOUND', 'this repl does not sync its workspace');
      return send(res, 200, deps.live.sync.status);
    case 'POST /sync/flush':
      if (!deps.live.sync) throw new AppError('NOT_FOUND', 'this repl does not sync its workspace');
      try {
        return send(res, 200, await deps.live.sync.flush());
      } catch (err) {
        throw new AppError('UNAVAILABLE', `the workspace could not be saved: ${describeError(err)}; the files stay here and saving is retried`);
      }
    case 'POST /quiesce':
      return send(res, 200, await deps.quiesce());
    case 'GET /app':
      return send(res, 200, deps.run.state);
    case 'POST /app/start':
      return send(res, 200, deps.run.start());
    case 'POST /app/stop':
      return send(res, 200, await deps.run.stop());
    case 'GET /app/logs':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(deps.logs.text());
    case 'POST /exec': {
      const body = await readJson<ExecRequest>(req);
      if (typeof body?.command !== 'string' || body.command.length === 0) throw new AppError('VALIDATION', 'command must be a non-empty string');
      if (state.execs >= MAX_CONCURRENT_EXECS) throw new AppError('RATE_LIMITED', `${MAX_CONCURRENT_EXECS} commands are already running in this repl; wait for one to finish`);
      state.execs++;
      try {
        return send(res, 200, await runExec({ command: body.command, timeoutMs: body.timeoutMs, cwd: deps.workspace, env: deps.env }));
      } finally {
        state.execs--;
      }
    }
    case 'GET /files':
      return send(res, 200, await deps.files.list(url.searchParams.get('dir') ?? ''));
  }
  if (url.pathname.startsWith('/files/')) {
    const file = filePathOf(url.pathname);
    switch (req.method) {
      case 'GET': {
        const body = await deps.files.read(file, deps.maxFileBytes);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        return void res.end(body);
      }
      case 'PUT': {
        const created = await deps.files.write(file, await readBody(req, deps.maxFileBytes));
        return send(res, created ? 201 : 200, { path: file, created });
      }
      case 'DELETE':
        await deps.files.remove(file);
        res.writeHead(204);
        return void res.end();
    }
    throw new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on files`);
  }
  throw new AppError('NOT_FOUND', `no agent route ${route}`);
}
