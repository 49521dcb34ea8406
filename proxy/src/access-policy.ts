import type { Target } from '@codeyard/common/agent/protocol';
import type { HostRoute } from '@codeyard/common/hostnames';
import type { GrantCheck, GrantSigner } from '@codeyard/common/tickets';
import { cookieValues } from './cookies.js';
import type { IdeStaticRoot } from './ide-static.js';
import type { IdePageSource } from './ide-page.js';

/**
 * Who may reach what on a repl host: the one decision the proxy's HTTP path, its WebSocket
 * upgrades and its fast path all take (see ReplProxy and fast-access.ts), so a rule changed
 * here changes for all three. Pure: everything it needs comes in (the repl as the portal knows
 * it, the caller's cookie, the clock, the signing key), and what to do comes out; the callers
 * only render the decision for their transport.
 */

/** The cookie a ticket becomes: valid for one host only. */
export const HOST_COOKIE = 'codeyard_host';
/** Paths under this prefix on repl hosts are the proxy's own. */
export const RESERVED_PREFIX = '/_codeyard/';
/** Where a ticket is exchanged for a host cookie. */
export const AUTH_PATH = `${RESERVED_PREFIX}auth`;
/** What the starting page polls. */
export const STATUS_PATH = `${RESERVED_PREFIX}status`;
/** The Codeyard bar's app control on the IDE host: GET the state, POST `/start`, `/restart` or `/stop`. */
export const APP_PATH = `${RESERVED_PREFIX}app`;

export type AppAction = 'state' | 'start' | 'restart' | 'stop';

const APP_ACTIONS: readonly AppAction[] = ['start', 'restart', 'stop'];

/** Which app control a request asks for, or why none: a wrong path (404) or method (405). */
function appActionOf(method: string, path: string): AppAction | 404 | 405 {
  const action = path === APP_PATH ? 'state' : APP_ACTIONS.find((a) => path === `${APP_PATH}/${a}`);
  if (!action) return 404;
  return (action === 'state' ? method === 'GET' : method === 'POST') ? action : 405;
}

export type ReplStatus = 'stopped' | 'starting' | 'running' | 'stopping' | 'error';

/** What the proxy needs to know about a repl, asked of the portal on each request. */
export interface ProxiedRepl {
  owner: string;
  status: ReplStatus;
  /** What a starting repl is doing now, for the starting page. */
  step?: string;
  error?: string;
  /** Its place in line while the server is full (it starts by itself when room appears). */
  queue?: { position: number; of: number };
  /** code-server, while running. */
  ide?: Target;
  /** A port inside the repl, while running. */
  port?: (port: number) => Target;
  /** Whether anyone may open this preview port without a ticket. */
  isPublic: (port: number) => boolean;
  /**
   * Where the install this repl's code-server runs from keeps its versioned static files, when
   * the proxy may serve them itself (ide-static.ts): an install the portal provisioned.
   */
  ideStatic?: IdeStaticRoot;
  /**
   * Where VS Code's page for this repl's code-server comes from, when the proxy may make it
   * itself (ide-page.ts): an install the portal provisioned, and the user-data path it runs with.
   */
  idePage?: IdePageSource;
}

type RouteOf<K extends HostRoute['kind']> = Extract<HostRoute, { kind: K }>;
/** A repl host: its IDE (`<id>.<domain>`) or one of its ports (`<id>-<port>.<domain>`). */
export type ReplRoute = RouteOf<'ide'> | RouteOf<'preview'>;

export interface AccessRequest {
  route: ReplRoute;
  /** The hostname the request was sent to (its Host header without the port). */
  hostname: string;
  /** The repl as the portal knows it now; undefined when there is none. */
  repl: ProxiedRepl | undefined;
  /** A WebSocket (or other) upgrade: no proxy endpoints, and a private host needs an Origin of itself. */
  upgrade: boolean;
  method: string;
  /** The path (no query); the proxy's own endpoints are under RESERVED_PREFIX. */
  path: string;
  cookie: string | undefined;
  accept: string | undefined;
  origin: string | undefined;
  /** The Sec-Fetch-Dest header: `document` for a top-level navigation, `iframe` inside a frame. */
  fetchDest?: string | undefined;
  /**
   * False when a navigation asks for VS Code alone (`?codeyard-bar=off`, see {@link barWanted}):
   * the desktop app shows its own toolbar above the IDE, and a second bar would repeat it.
   */
  bar?: boolean;
  /** Milliseconds since the epoch: when host cookies are checked. */
  now: number;
  /** Whether the portal credential a host cookie was made through has been signed out or revoked since (none: nothing is). */
  revoked?: (via: string) => boolean;
}

export type AccessDecision =
  /** No such repl: 404. */
  | { kind: 'not-found' }
  /** The sign-in endpoint: exchange the ticket by {@link decideTicket}. */
  | { kind: 'ticket-exchange' }
  /** The owner polls a starting repl's progress. */
  | { kind: 'status' }
  /** Anyone else asks for the progress: 401. */
  | { kind: 'status-refused' }
  /** Not proven the owner of a private host: a browser is sent to the portal (302), anything else gets 401. */
  | { kind: 'sign-in'; redirect: boolean }
  /** The owner's cookie on an upgrade from another origin (cross-site WebSocket hijacking): 403. */
  | { kind: 'cross-origin' }
  /** Allowed in, but the repl is not running (503): its owner sees it start (woken when asleep), others that it sleeps. */
  | { kind: 'not-running'; owner: boolean; wake: boolean }
  /** The owner's Codeyard bar asks for the app's state, or presses Run, Restart or Stop app. */
  | { kind: 'app'; action: AppAction }
  /** An app control request that may not pass: 401 (not the owner), 403 (a POST from another origin), 404, 405. */
  | { kind: 'app-refused'; status: 401 | 403 | 404 | 405 }
  /** The owner navigates to the IDE: the Codeyard bar's page, with VS Code in a frame of this host. */
  | { kind: 'ide-bar' }
  /**
   * The owner's browser fetches one of code-server's versioned static files: served by the proxy
   * from the install (`rest`: the path after the prefix, still encoded; 404 unless it is a file there).
   */
  | { kind: 'ide-static'; install: IdeStaticRoot; rest: string }
  /**
   * The owner's bar frame asks for VS Code's page (`/`): made by the proxy from the install when
   * it can be made exactly, else forwarded to `target` as any other request (ide-page.ts).
   */
  | { kind: 'ide-page'; source: IdePageSource; target: Target }
  /** Allowed in, running, but with nothing to forward to: 502. */
  | { kind: 'no-upstream' }
  | { kind: 'forward'; target: Target };

/** Where a running repl's route goes: code-server for the IDE host, the port for a preview. */
function targetOf(route: ReplRoute, repl: ProxiedRepl): Target | undefined {
  return route.kind === 'ide' ? repl.ide : repl.port?.(route.port);
}

/**
 * Whether a Cookie header proves the owner of this host: one of its host cookies is a live
 * session grant for this exact host and this owner, made through a portal credential that is
 * still signed in. Every copy is checked, not the first: a sibling host can toss a cookie of the
 * same name for the parent domain, and one that is signed for another host or account proves
 * nothing, but must not hide ours either.
 */
function ownerSession(signer: GrantSigner, request: AccessRequest, owner: string): boolean {
  return cookieValues(request.cookie, HOST_COOKIE).some((value) => {
    const check = signer.verify(value, { purpose: 'session', host: request.hostname, now: request.now });
    return check.ok && check.grant.account === owner && !(check.grant.via && request.revoked?.(check.grant.via));
  });
}

/** Whether an Origin header names this very host (any scheme or port). A missing or malformed one does not. */
function sameOriginHost(origin: string | undefined, hostname: string): boolean {
  try {
    return origin !== undefined && new URL(origin).hostname === hostname;
  } catch {
    return false;
  }
}

/** A browser navigating (GET, accepting HTML): it gets pages and redirects, anything else JSON or a status. */
export function isNavigation(method: string | undefined, accept: string | undefined): boolean {
  return method === 'GET' && (accept ?? '').includes('text/html');
}

/**
 * Decides one request. The IDE host is always private; a preview host is private unless its
 * port is public. A private host needs a host cookie proving its owner, and for an upgrade an
 * Origin of the host itself too: the cookie rides along on cross-site WebSocket requests.
 */
export function decideAccess(request: AccessRequest, signer: GrantSigner): AccessDecision {
  const { route, repl, hostname } = request;
  if (!repl) return { kind: 'not-found' };
  // Upgrades never reach the proxy's own endpoints: they go to the repl like any other path.
  if (!request.upgrade && request.path === AUTH_PATH) return { kind: 'ticket-exchange' };
  const owner = ownerSession(signer, request, repl.owner);
  if (!request.upgrade && request.path === STATUS_PATH) return owner ? { kind: 'status' } : { kind: 'status-refused' };
  if (!request.upgrade && route.kind === 'ide' && (request.path === APP_PATH || request.path.startsWith(`${APP_PATH}/`))) {
    if (!owner) return { kind: 'app-refused', status: 401 };
    const action = appActionOf(request.method, request.path);
    if (typeof action === 'number') return { kind: 'app-refused', status: action };
    // Run, Restart and Stop app change things: only the bar's own page may press them (the cookie is Lax, and this is CSRF's second lock).
    if (action !== 'state' && !sameOriginHost(request.origin, hostname)) return { kind: 'app-refused', status: 403 };
    return { kind: 'app', action };
  }
  const needsOwner = route.kind === 'ide' || !repl.isPublic(route.port);
  if (needsOwner && !owner) {
    return { kind: 'sign-in', redirect: !request.upgrade && isNavigation(request.method, request.accept) };
  }
  if (needsOwner && request.upgrade && !sameOriginHost(request.origin, hostname)) return { kind: 'cross-origin' };
  if (repl.status !== 'running') return { kind: 'not-running', owner, wake: owner && (repl.status === 'stopped' || repl.status === 'error') };
  // A top-level navigation to the IDE gets the bar around it; the bar's frame (Sec-Fetch-Dest:
  // iframe) and browsers that do not say what they fetch get VS Code itself.
  const idePageRequest = route.kind === 'ide' && !request.upgrade && request.method === 'GET' && request.path === '/';
  if (idePageRequest && request.fetchDest === 'document' && request.bar !== false) return { kind: 'ide-bar' };
  const target = targetOf(route, repl);
  if (!target) return { kind: 'no-upstream' };
  // VS Code's page: for the bar's frame, or for a navigation that asked for no bar.
  const vscodePage = request.fetchDest === 'iframe' || (request.fetchDest === 'document' && request.bar === false);
  if (idePageRequest && repl.idePage && vscodePage) return { kind: 'ide-page', source: repl.idePage, target };
  // What the repl's code-server would answer from its read-only install, the proxy answers from
  // the same install: the same files, compressed once and cached for good (ide-static.ts).
  const install = route.kind === 'ide' && !request.upgrade && (request.method === 'GET' || request.method === 'HEAD') ? repl.ideStatic : undefined;
  if (install && request.path.startsWith(install.prefix)) return { kind: 'ide-static', install, rest: request.path.slice(install.prefix.length) };
  return { kind: 'forward', target };
}

/** The query parameter by which a navigation asks for VS Code without the Codeyard bar. */
export const NO_BAR_PARAM = 'codeyard-bar';

/** Whether a request's query (`?…`, or none) leaves the bar on: anything but `codeyard-bar=off`. */
export function barWanted(search: string): boolean {
  // Asked on every request the proxy checks: most queries never name it, and need no parsing.
  if (!search.includes(NO_BAR_PARAM)) return true;
  return new URLSearchParams(search).get(NO_BAR_PARAM) !== 'off';
}

export interface TicketRequest {
  /** The `ticket` query parameter of the sign-in endpoint. */
  ticket: string | undefined;
  hostname: string;
  /** Who owns the repl behind this host: only their ticket opens a session. */
  owner: string;
  /** Seconds the caller's address must wait before another attempt (its rate limit), 0 when none. */
  wait: number;
  /**
   * The ticket ledger's answer for this ticket's nonce: true the first time, false when it was
   * used before, `failed` when the ledger could not answer. Absent until the ledger was asked.
   */
  firstUse?: boolean | 'failed';
  now: number;
}

export type TicketDecision =
  /** Too many attempts from this address: 429. */
  | { kind: 'too-many'; wait: number }
  /** The ticket is good for this host now: ask the ledger whether it is its first use, then decide again with `firstUse`. */
  | { kind: 'redeem'; nonce: string; expiresAt: number }
  /** 403 with a sign-in page saying why. */
  | { kind: 'refused'; reason: string }
  /** Sets a host cookie for this account (made through the ticket's credential) and sends the browser on. */
  | { kind: 'session'; account: string; via?: string };

function ticketRefusal(check: Exclude<GrantCheck, { ok: true }>): string {
  return check.reason === 'expired' ? 'This link has expired.' : 'This link is not valid here.';
}

/**
 * The ticket exchange: a ticket signed for this host, not expired, used once (as the ledger
 * records it; a ledger that fails refuses), of the repl's owner, becomes a session.
 */
export function decideTicket(request: TicketRequest, signer: GrantSigner): TicketDecision {
  if (request.wait > 0) return { kind: 'too-many', wait: request.wait };
  const check = signer.verify(request.ticket, { purpose: 'ticket', host: request.hostname, now: request.now });
  if (!check.ok) return { kind: 'refused', reason: ticketRefusal(check) };
  if (request.firstUse === undefined) return { kind: 'redeem', nonce: check.grant.nonce, expiresAt: check.grant.expiresAt };
  if (request.firstUse === 'failed') return { kind: 'refused', reason: 'This link could not be checked.' };
  if (!request.firstUse) return { kind: 'refused', reason: 'This link was already used.' };
  if (check.grant.account !== request.owner) return { kind: 'refused', reason: 'This link is for somebody else.' };
  return { kind: 'session', account: check.grant.account, ...(check.grant.via ? { via: check.grant.via } : {}) };
}
