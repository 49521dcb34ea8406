import { type ActivateRequest, parseActivateRequest, type ServedRepl } from './config.js';
import { AppError } from '../errors.js';
import { secretSetProblem } from '../secrets.js';
import { defined, Fields } from './fields.js';
import { type AgentHealth, type AppPolicy, type AppState, EXEC_DEFAULT_TIMEOUT_MS, EXEC_MAX_TIMEOUT_MS, type ExecRequest, type ExecResult, type FileEntry, type IdeLocale, NOTICE_MAX_SECONDS, type NoticeRequest, type QuiesceResult, type ReplEnv, type ReplNotice, type SetEnvRequest, type SyncStatus, type WriteFileResult } from './protocol.js';

/**
 * The agent's control API, declared once: every route's method, path, what goes in and what
 * comes back. The client (client.ts) builds its requests from this table and the agent's
 * control server dispatches by it, so the two cannot disagree on a route.
 *
 * A route's input is what a caller hands the client and exactly what the agent's handler gets:
 * the JSON body for `body: 'json'` routes (checked by `parse` on the agent side), `{ file }` for
 * routes under `/files/` (the workspace path, percent-encoded per segment on the wire),
 * `{ file, bytes }` for an upload, `{ dir }` for a listing (a query parameter).
 */
export interface AgentRouteTypes {
  health: { input: void; output: AgentHealth };
  info: { input: void; output: ServedRepl };
  ideLocale: { input: void; output: IdeLocale };
  activate: { input: ActivateRequest; output: SyncStatus };
  sync: { input: void; output: SyncStatus };
  flushSync: { input: void; output: SyncStatus };
  quiesce: { input: void; output: QuiesceResult };
  app: { input: void; output: AppState };
  startApp: { input: void; output: AppState };
  stopApp: { input: void; output: AppState };
  restartApp: { input: void; output: AppState };
  appPolicy: { input: AppPolicy; output: AppState };
  appLogs: { input: void; output: string };
  exec: { input: ExecRequest; output: ExecResult };
  listFiles: { input: { dir: string }; output: FileEntry[] };
  readFile: { input: { file: string }; output: Buffer };
  writeFile: { input: { file: string; bytes: Buffer }; output: WriteFileResult };
  deleteFile: { input: { file: string }; output: void };
  notice: { input: void; output: ReplNotice };
  setNotice: { input: NoticeRequest; output: ReplNotice };
  env: { input: void; output: ReplEnv };
  setEnv: { input: SetEnvRequest; output: ReplEnv };
}

export type AgentRouteName = keyof AgentRouteTypes;
export type RouteInput<N extends AgentRouteName> = AgentRouteTypes[N]['input'];
export type RouteOutput<N extends AgentRouteName> = AgentRouteTypes[N]['output'];

export interface AgentRoute<N extends AgentRouteName> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path; with `file`, the prefix the workspace path follows. */
  path: string;
  /** The rest of the path is a workspace file path (`/files/<path>`). */
  file?: true;
  /** The input's one field sent as a query parameter of this name. */
  query?: 'dir';
  /** What the request carries: nothing, the input as JSON, or the input's `bytes`. */
  body: 'none' | 'json' | 'bytes';
  /** What the answer carries. */
  reply: 'json' | 'text' | 'bytes' | 'none';
  /** The whole exchange ends within this; callers may pass their own where the work varies. */
  timeoutMs: number | ((input: RouteInput<N>) => number);
  /** The agent's check of a JSON body: throws AppError('VALIDATION') naming the field (a 400). */
  parse?: (body: unknown) => RouteInput<N>;
  /** The success status (default 200). */
  status?: (output: RouteOutput<N>) => number;
}

/** How long saving or restoring a workspace may take unless the caller says (flush, activate). */
export const AGENT_SAVE_TIMEOUT_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 30_000;

/** A one-off command's body: the command, and how long it may run. */
export function parseExecRequest(value: unknown): ExecRequest {
  const f = Fields.of(value, 'the exec request');
  return defined({ command: f.string('command'), timeoutMs: f.optionalInteger('timeoutMs', 1, EXEC_MAX_TIMEOUT_MS), withoutSecrets: f.optionalBoolean('withoutSecrets') });
}

/** A notice body: one line of text (at most 200 characters) and how long it shows. */
export function parseNoticeRequest(value: unknown): NoticeRequest {
  const f = Fields.of(value, 'the notice');
  const text = f.string('text');
  // eslint-disable-next-line no-control-regex
  if (text.length > 200 || /[\u0000-\u001f\u007f]/.test(text)) throw new AppError('VALIDATION', 'the notice text must be one line of at most 200 characters');
  const seconds = f.optionalInteger('seconds', 1, NOTICE_MAX_SECONDS);
  if (seconds === undefined) throw new AppError('VALIDATION', `the notice needs seconds (1 to ${NOTICE_MAX_SECONDS})`);
  return { text, seconds };
}

/** A keep-running policy body: `{ keepRunning: boolean }`, nothing else. */
export function parseAppPolicy(value: unknown): AppPolicy {
  const f = Fields.of(value, 'the app policy');
  const keepRunning = f.optionalBoolean('keepRunning');
  if (keepRunning === undefined) throw new AppError('VALIDATION', 'the app policy needs keepRunning (true or false)');
  return { keepRunning };
}

/** A secrets body: `{ variables: { NAME: "value", … }, revision? }`, every name and value by the rules of ../secrets.ts, the revision a whole number ≥ 0. */
export function parseSetEnvRequest(value: unknown): SetEnvRequest {
  const revision = Fields.of(value, 'the env request').optionalInteger('revision', 0);
  const raw = (value as { variables?: unknown }).variables;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AppError('VALIDATION', 'variables must be an object of names to string values', { field: 'variables' });
  const entries = Object.entries(raw);
  for (const [name, v] of entries) if (typeof v !== 'string') throw new AppError('VALIDATION', `variables.${name} must be a string`, { field: `variables.${name}` });
  // Own properties only, whatever the names (fromEntries defines, it never sets a prototype).
  const variables = Object.fromEntries(entries) as Record<string, string>;
  const problem = secretSetProblem(variables);
  if (problem) throw new AppError('VALIDATION', problem, { field: 'variables' });
  return defined({ variables, revision });
}

export const AGENT_ROUTES: { readonly [N in AgentRouteName]: AgentRoute<N> } = {
  // Probes are short: a busy agent counts as not yet healthy and is asked again.
  health: { method: 'GET', path: '/healthz', body: 'none', reply: 'json', timeoutMs: 2000 },
  info: { method: 'GET', path: '/info', body: 'none', reply: 'json', timeoutMs: 10_000 },
  // Asked on the way of a page load (the proxy's): a slow agent leaves the page to code-server.
  ideLocale: { method: 'GET', path: '/ide/locale', body: 'none', reply: 'json', timeoutMs: 2000 },
  activate: { method: 'POST', path: '/activate', body: 'json', reply: 'json', timeoutMs: AGENT_SAVE_TIMEOUT_MS, parse: parseActivateRequest },
  sync: { method: 'GET', path: '/sync', body: 'none', reply: 'json', timeoutMs: 2000 },
  flushSync: { method: 'POST', path: '/sync/flush', body: 'none', reply: 'json', timeoutMs: AGENT_SAVE_TIMEOUT_MS },
  // The app gets up to 15 s to stop, then the sweep up to 8 s more.
  quiesce: { method: 'POST', path: '/quiesce', body: 'none', reply: 'json', timeoutMs: 30_000 },
  app: { method: 'GET', path: '/app', body: 'none', reply: 'json', timeoutMs: DEFAULT_TIMEOUT_MS },
  startApp: { method: 'POST', path: '/app/start', body: 'none', reply: 'json', timeoutMs: DEFAULT_TIMEOUT_MS },
  stopApp: { method: 'POST', path: '/app/stop', body: 'none', reply: 'json', timeoutMs: 30_000 },
  // A stop (up to its grace and the group's end), then a start.
  restartApp: { method: 'POST', path: '/app/restart', body: 'none', reply: 'json', timeoutMs: 30_000 },
  appPolicy: { method: 'POST', path: '/app/policy', body: 'json', reply: 'json', timeoutMs: DEFAULT_TIMEOUT_MS, parse: parseAppPolicy },
  appLogs: { method: 'GET', path: '/app/logs', body: 'none', reply: 'text', timeoutMs: DEFAULT_TIMEOUT_MS },
  // The command's own limit plus time to collect and send its output.
  exec: { method: 'POST', path: '/exec', body: 'json', reply: 'json', timeoutMs: (req) => (req.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS) + 10_000, parse: parseExecRequest },
  listFiles: { method: 'GET', path: '/files', query: 'dir', body: 'none', reply: 'json', timeoutMs: DEFAULT_TIMEOUT_MS },
  readFile: { method: 'GET', path: '/files/', file: true, body: 'none', reply: 'bytes', timeoutMs: DEFAULT_TIMEOUT_MS },
  writeFile: { method: 'PUT', path: '/files/', file: true, body: 'bytes', reply: 'json', timeoutMs: DEFAULT_TIMEOUT_MS, status: (out) => (out.created ? 201 : 200) },
  deleteFile: { method: 'DELETE', path: '/files/', file: true, body: 'none', reply: 'none', timeoutMs: DEFAULT_TIMEOUT_MS, status: () => 204 },
  // The status-bar notice: the extension polls it, the portal sets it (a teacher viewing).
  notice: { method: 'GET', path: '/notice', body: 'none', reply: 'json', timeoutMs: 2000 },
  setNotice: { method: 'POST', path: '/notice', body: 'json', reply: 'json', timeoutMs: 5000, parse: parseNoticeRequest },
  // The repl's secrets: the extension polls GET (new terminals get them), the portal PUTs the whole set.
  env: { method: 'GET', path: '/env', body: 'none', reply: 'json', timeoutMs: 2000 },
  setEnv: { method: 'PUT', path: '/env', body: 'json', reply: 'json', timeoutMs: 5000, parse: parseSetEnvRequest },
};

/** The app-log WebSocket's path (an upgrade, outside the table: it streams LogFrames). */
export const APP_LOGS_SOCKET_PATH = '/app/logs';

/** A workspace path as it goes in a URL: each segment percent-encoded, the slashes kept. */
export function encodeFilePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/** The path and query of one call. */
export function routeUrl<N extends AgentRouteName>(route: AgentRoute<N>, input: RouteInput<N>): string {
  const fields = input as { file?: string; dir?: string } | undefined;
  if (route.file) return `${route.path}${encodeFilePath(fields?.file ?? '')}`;
  if (route.query) return `${route.path}?${route.query}=${encodeURIComponent(fields?.[route.query] ?? '')}`;
  return route.path;
}
