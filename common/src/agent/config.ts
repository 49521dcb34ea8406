import fs from 'node:fs';
import { describeError } from '../errors.js';
import { isReplId, type ReplId } from '../repl-id.js';
import { defined, Fields } from './fields.js';
import { isGateSecret } from './gate.js';

/**
 * What a runtime tells the repl agent: the config file it starts it with, and POST /activate,
 * which makes a warm-pool agent the agent of one repl. The runtime writes these with these
 * types and the agent reads them with the checkers below, so both sides agree by construction.
 */

/** How the app runs (from the stack's manifest). */
export interface RunSpec {
  /** Shell command that runs the app. */
  run: string;
  /** Shell command that installs dependencies, run before `run` when `installCreates` is missing. */
  install?: string;
  /** Workspace-relative path that exists once `install` has run (e.g. `node_modules`). */
  installCreates?: string;
}

/** The repl as its IDE presents it (the agent hands it to code-server as CODEYARD_* variables). */
export interface ReplInfo {
  /** The repl's name ('' while a warm-pool sandbox is nobody's). */
  name: string;
  /** Stack id (`node`, `python`…). */
  stack: string;
  /** The app's port inside the repl. */
  port: number;
  /** Public preview URL of that port, with the trailing slash ('' when unknown). */
  previewUrl: string;
  /**
   * The portal's public URL (its dashboard), with the trailing slash; absent when unknown (a
   * warm-pool sandbox learns it at activation). Given, not guessed from the IDE's or preview's
   * host: previews may have a domain of their own, and a proxy in front may rename hosts.
   */
  portalUrl?: string;
  /**
   * The class this repl is a student's repl of (issue #15), by name: the extension then offers
   * Submit, which opens the portal's own page (the student's session submits, never the IDE's).
   */
  classroom?: string;
}

/**
 * Workspace sync through the portal's relay: its unix socket (a local sandbox), or its URL with
 * the repl's own credential (a pod: the relay is on the network, and the credential opens only
 * this repl's workspace). Never the store's own keys.
 */
export interface AgentSyncConfig {
  socket?: string;
  url?: string;
  /** Sent as `Authorization: Bearer <token>` to `url`. */
  token?: string;
  debounceMs?: number;
  scanIntervalMs?: number;
}

/**
 * The agent's gate (gate.ts): on a network, one TCP port that serves the control API, code-server
 * and the repl's ports to whoever sends the pod's secret first, and a readiness port that answers
 * only GET /readyz with a status (for the kubelet; it tells nothing else).
 */
export interface AgentGateConfig {
  port: number;
  healthPort: number;
  secret: string;
}

/** code-server's command line, run and kept running by the agent; its output goes to logFile. */
export interface AgentIdeConfig {
  argv: string[];
  logFile: string;
  settingsFile: string;
  settings: Record<string, unknown>;
  /** code-server's own socket, relayed on `listenFds.ide`. */
  socket?: string;
  /** Variables code-server gets on top of the repl's (memory tuning of its Node processes). */
  env?: Record<string, string>;
}

/** The agent's config file (named on its command line). */
export interface AgentConfig {
  /** The repl's id; a warm-pool sandbox's config names the sandbox until it is activated. */
  replId: ReplId;
  /** The workspace folder: the app's cwd, the files API's root. */
  workspace: string;
  /** HTTP control API socket. */
  controlSocket: string;
  /** Port tunnel socket (used when no `listenFds.tunnel` is given). */
  tunnelSocket: string;
  /**
   * Listening sockets the runtime bound on the host, in a folder of its own, and handed to the
   * agent as these descriptors: the only sockets the host side connects to. `control` serves the
   * control API (next to `controlSocket`, which the extension uses inside), `tunnel` the port
   * tunnels, `ide` a byte relay to code-server's own socket (`ide.socket`).
   */
  listenFds?: { control?: number; tunnel?: number; ide?: number };
  /** Private directory for the agent's state and logs. */
  stateDir: string;
  app: RunSpec;
  /** Largest file the files API reads or writes (default {@link DEFAULT_AGENT_MAX_FILE_BYTES}). */
  maxFileBytes: number;
  ide?: AgentIdeConfig;
  /** Without it the workspace is not saved. */
  sync?: AgentSyncConfig;
  /** On a network (a pod): the gate its clients come through. */
  gate?: AgentGateConfig;
  /** When set, a relay on 127.0.0.1:port inside the repl to the egress proxy's unix socket. */
  egress?: { socket: string; port: number };
  /** What the IDE shows about the repl: given to code-server (only) as CODEYARD_* variables. */
  info?: ReplInfo;
  /**
   * A warm-pool sandbox: code-server starts at once on an empty workspace, and the repl it will
   * be (its sync, its name) comes later with POST /activate.
   */
  pooled?: boolean;
  /**
   * The agent's pid namespace is the repl's alone (the bubblewrap sandbox; a pod): a stop may then
   * end every other process in it before the last save. Never set for unsandboxed processes.
   */
  ownPidNamespace?: boolean;
}

/**
 * What POST /activate brings a warm-pool agent: the repl it now serves (what it starts from then
 * on gets the repl's id as CODEYARD_REPL_ID), where to sync, and what the IDE shows.
 */
export interface ActivateRequest {
  replId: ReplId;
  sync: AgentSyncConfig;
  info: ReplInfo;
}

/** What GET /info answers: the repl the agent serves, and what its IDE shows of it. */
export interface ServedRepl extends ReplInfo {
  replId: ReplId;
}

export const DEFAULT_AGENT_MAX_FILE_BYTES = 16 * 1024 * 1024;

function readRunSpec(f: Fields): RunSpec {
  return defined({ run: f.string('run'), install: f.optionalString('install'), installCreates: f.optionalString('installCreates') });
}

function readReplId(f: Fields): ReplId {
  return f.matching('replId', isReplId, 'a repl id (12 characters a-z2-7, a letter first)');
}

function readReplInfo(f: Fields): ReplInfo {
  const portalUrl = f.has('portalUrl') ? f.matching('portalUrl', (v): v is string => typeof v === 'string' && /^https?:\/\/[^\s/]+\/$/.test(v), "the portal's http:// or https:// origin with a trailing slash") : undefined;
  return defined({ name: f.string('name', { allowEmpty: true }), stack: f.string('stack'), port: f.integer('port', 0, 65535), previewUrl: f.string('previewUrl', { allowEmpty: true }), portalUrl, classroom: f.optionalString('classroom') });
}

function readSync(f: Fields): AgentSyncConfig {
  const timing = { debounceMs: f.optionalInteger('debounceMs', 0), scanIntervalMs: f.optionalInteger('scanIntervalMs', 1) };
  if (f.has('url')) {
    const url = f.matching('url', (v): v is string => typeof v === 'string' && /^https?:\/\/[^\s/]+(\/\S*)?$/.test(v), 'an http:// or https:// URL of the workspace relay');
    return defined({ url, token: f.string('token'), ...timing });
  }
  return defined({ socket: f.string('socket'), ...timing });
}

function readGate(f: Fields): AgentGateConfig {
  return { port: f.integer('port', 1, 65535), healthPort: f.integer('healthPort', 1, 65535), secret: f.matching('secret', isGateSecret, '64 lowercase hex characters') };
}

function readIde(f: Fields): AgentIdeConfig {
  return defined({ argv: f.stringArray('argv'), logFile: f.string('logFile'), settingsFile: f.string('settingsFile'), settings: f.record('settings'), socket: f.optionalString('socket'), env: f.optionalStringRecord('env') });
}

/** Checks a config file's content; throws AppError('VALIDATION') naming the first wrong field. */
export function parseAgentConfig(value: unknown): AgentConfig {
  const f = Fields.of(value, 'the agent config');
  const pooled = f.optionalBoolean('pooled');
  const fds = f.optionalObject('listenFds');
  const egress = f.optionalObject('egress');
  const gate = f.optionalObject('gate');
  const ide = f.optionalObject('ide');
  const sync = f.optionalObject('sync');
  const info = f.optionalObject('info');
  return defined({
    // A warm sandbox is nobody's yet: its name is only a label in the agent's log.
    replId: pooled ? f.string('replId') : readReplId(f),
    workspace: f.string('workspace'),
    controlSocket: f.string('controlSocket'),
    tunnelSocket: f.string('tunnelSocket'),
    listenFds: fds && defined({ control: fds.optionalInteger('control', 0), tunnel: fds.optionalInteger('tunnel', 0), ide: fds.optionalInteger('ide', 0) }),
    stateDir: f.string('stateDir'),
    app: readRunSpec(f.object('app')),
    maxFileBytes: f.optionalInteger('maxFileBytes', 1) ?? DEFAULT_AGENT_MAX_FILE_BYTES,
    ide: ide && readIde(ide),
    sync: sync && readSync(sync),
    gate: gate && readGate(gate),
    egress: egress && { socket: egress.string('socket'), port: egress.integer('port', 1, 65535) },
    info: info && readReplInfo(info),
    pooled,
    ownPidNamespace: f.optionalBoolean('ownPidNamespace'),
  });
}

/** Reads and checks the config file; the error names the file and what is wrong in it. */
export function readAgentConfig(file: string): AgentConfig {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`agent config ${file}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : describeError(err)}`);
  }
  try {
    return parseAgentConfig(value);
  } catch (err) {
    throw new Error(`agent config ${file}: ${describeError(err)}`);
  }
}

/** Checks a POST /activate body (AppError('VALIDATION') naming the field: a 400). */
export function parseActivateRequest(value: unknown): ActivateRequest {
  const f = Fields.of(value, 'the activate request');
  return { replId: readReplId(f), sync: readSync(f.object('sync')), info: readReplInfo(f.object('info')) };
}
