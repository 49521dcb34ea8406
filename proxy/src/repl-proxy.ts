import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Target } from '@codeyard/common/agent-protocol';
import { type HostRoute, hostnameOf, type PublicOrigin, originFor, sameHostPath } from '@codeyard/common/hostnames';
import { RateLimiter } from '@codeyard/common/rate-limit';
import { type GrantSigner, NonceRegistry } from '@codeyard/common/tickets';
import { cookieValues, serializeHostCookie, withoutCookies } from './cookies.js';
import { bodyFraming, type FastAccess, headerValue, type RequestHead } from './fast-path.js';
import { notFoundPage, notRunningPage, signInPage, startingPage, upstreamDownPage } from './pages.js';
import { Upstreams } from './upstream.js';

/** The cookie a ticket becomes: valid for one host only. */
export const HOST_COOKIE = 'codeyard_host';
/** Paths under this prefix on repl hosts are the proxy's own. */
export const RESERVED_PREFIX = '/_codeyard/';

export type ReplStatus = 'stopped' | 'starting' | 'running' | 'stopping' | 'error';

/** What the proxy needs to know about a repl, asked of the portal on each request. */
export interface ProxiedRepl {
  owner: string;
  status: ReplStatus;
  /** What a starting repl is doing now, for the starting page. */
  step?: string;
  error?: string;
  /** code-server, while running. */
  ide?: Target;
  /** A port inside the repl, while running. */
  port?: (port: number) => Target;
  /** Whether anyone may open this preview port without a ticket. */
  isPublic: (port: number) => boolean;
}

/** The portal side of the proxy (in-process on one machine; a client of the portal API otherwise). */
export interface ProxyBackend {
  lookup(replId: string): Promise<ProxiedRepl | undefined>;
  /** Starts a stopped repl for its owner (and its app, for a preview); returns at once. */
  wake(replId: string, account: string, options: { runApp: boolean }): void;
}

export interface ReplProxyOptions {
  backend: ProxyBackend;
  signer: GrantSigner;
  publicOrigin: PublicOrigin;
  /** How long the host cookie lives. */
  sessionTtlMs: number;
  /** Ticket redemptions a client address may make a minute (guessing is hopeless, but cheap to try). */
  ticketsPerMinute?: number;
  log?: { warn(obj: object, msg: string): void };
}

type RouteOf<K extends HostRoute['kind']> = Extract<HostRoute, { kind: K }>;
type ReplRoute = RouteOf<'ide'> | RouteOf<'preview'>;

function sendHtml(res: http.ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function wantsHtml(req: http.IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

/** Headers a repl never sees: our credentials, and forwarding headers we set ourselves. */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'forwarded', 'x-real-ip']);

/**
 * A request the fast path may forward: HTTP/1.1, origin-form target outside the proxy's own
 * paths, one Host and at most one Cookie header, plain body framing, no protocol upgrade.
 */
function ordinary(head: RequestHead, allowUpgrade = false): boolean {
  if (head.version !== 'HTTP/1.1' || head.method === 'CONNECT') return false;
  if (!head.target.startsWith('/') || head.target.startsWith('//') || head.target.startsWith(RESERVED_PREFIX)) return false;
  let hosts = 0;
  let cookies = 0;
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    if (lower === 'host') hosts++;
    else if (lower === 'cookie') cookies++;
    else if (!allowUpgrade && (lower === 'upgrade' || (lower === 'connection' && /upgrade/i.test(value)))) return false;
    else if (lower === 'expect' && value.toLowerCase() !== '100-continue') return false;
  }
  return hosts === 1 && cookies <= 1 && bodyFraming(head) !== undefined;
}

function isUpgrade(head: RequestHead): boolean {
  return headerValue(head, 'upgrade') !== undefined && /upgrade/i.test(headerValue(head, 'connection') ?? '');
}

function sameTarget(a: Target, b: Target): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Serves every repl host: `<id>.<domain>` (the IDE, always private) and `<id>-<port>.<domain>`
 * (an app port, public or private). Access is by a signed ticket exchanged once for a cookie
 * of this one host; the proxy's own cookie and the client's Authorization never reach the
 * repl, and forwarding headers are set here, never taken from the client.
 */
export class ReplProxy {
  readonly #opts: ReplProxyOptions;
  readonly #upstreams = new Upstreams();
  readonly #nonces = new NonceRegistry();
  readonly #ticketLimiter: RateLimiter;

  constructor(options: ReplProxyOptions) {
    this.#opts = options;
    this.#ticketLimiter = new RateLimiter({ perMinute: options.ticketsPerMinute ?? 60 });
  }

  get #portalOrigin(): string {
    return originFor(this.#opts.publicOrigin.domain, this.#opts.publicOrigin);
  }

  #openUrl(replId: string, route: ReplRoute, next?: string): string {
    const url = new URL(`/open/${replId}`, this.#portalOrigin);
    if (route.kind === 'preview') url.searchParams.set('port', String(route.port));
    if (next && next !== '/') url.searchParams.set('next', next);
    return url.toString();
  }

  /**
   * Whether a Cookie header proves the owner of this host: one of its host cookies is a live
   * session grant for this exact host and this owner. Every copy is checked, not the first: a
   * sibling host can toss a cookie of the same name for the parent domain, and one that is
   * signed for another host or account proves nothing, but must not hide ours either.
   */
  #ownerSession(cookieHeader: string | undefined, hostname: string, owner: string): boolean {
    return cookieValues(cookieHeader, HOST_COOKIE).some((value) => {
      const check = this.#opts.signer.verify(value, { purpose: 'session', host: hostname });
      return check.ok && check.grant.account === owner;
    });
  }

  async handleRequest(req: http.IncomingMessage, res: http.ServerResponse, route: ReplRoute): Promise<void> {
    const hostname = hostnameOf(req.headers.host ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const repl = await this.#opts.backend.lookup(route.replId);
    if (!repl) return sendHtml(res, 404, notFoundPage(hostname, this.#portalOrigin));

    if (url.pathname === `${RESERVED_PREFIX}auth`) return this.#redeem(req, res, route, repl, hostname, url);

    const isOwner = this.#ownerSession(req.headers.cookie, hostname, repl.owner);
    const needsOwner = route.kind === 'ide' || !repl.isPublic(route.port);

    if (url.pathname === `${RESERVED_PREFIX}status`) {
      if (!isOwner) return sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'open this repl from Codeyard first' } });
      return sendJson(res, 200, { status: repl.status, step: repl.step, error: repl.error });
    }

    if (needsOwner && !isOwner) {
      const next = `${url.pathname}${url.search}`;
      // A browser is sent to the portal, which checks who it is and comes back with a ticket.
      if (wantsHtml(req)) {
        res.writeHead(302, { location: this.#openUrl(route.replId, route, next), 'cache-control': 'no-store' });
        return void res.end();
      }
      return sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: `open ${this.#openUrl(route.replId, route)} to sign in to this repl` } });
    }

    if (repl.status !== 'running') {
      if (!isOwner) {
        const body = notRunningPage({ replId: route.replId, port: route.kind === 'preview' ? route.port : 0, openUrl: this.#openUrl(route.replId, route) });
        return sendHtml(res, 503, body, { 'retry-after': '5' });
      }
      if (repl.status === 'stopped' || repl.status === 'error') this.#opts.backend.wake(route.replId, repl.owner, { runApp: route.kind === 'preview' });
      const title = route.kind === 'ide' ? 'Starting your repl' : `Starting the app on port ${route.port}`;
      if (!wantsHtml(req)) return sendJson(res, 503, { error: { code: 'UNAVAILABLE', message: `the repl is ${repl.status}; try again shortly` } });
      return sendHtml(res, 503, startingPage({ title, statusUrl: `${RESERVED_PREFIX}status`, step: repl.step }), { 'retry-after': '2' });
    }

    const target = route.kind === 'ide' ? repl.ide : repl.port?.(route.port);
    if (!target) return sendHtml(res, 502, upstreamDownPage({ what: 'The repl', hint: 'It is not reachable right now.' }));
    this.#prepareHeaders(req, hostname);
    this.#upstreams.web(req, res, target, (err) => {
      this.#opts.log?.warn({ replId: route.replId, err: err.message }, 'upstream error');
      if (res.headersSent) return void res.destroy();
      const down =
        route.kind === 'ide'
          ? upstreamDownPage({ what: 'VS Code', hint: 'The editor of this repl is restarting. Your files are safe.' })
          : upstreamDownPage({ what: `Port ${route.port}`, hint: `Nothing is listening on port ${route.port} in this repl. Press Run, and make sure the app listens on 0.0.0.0:${route.port}.` });
      sendHtml(res, 502, down);
    });
  }

  async handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, route: ReplRoute): Promise<void> {
    const hostname = hostnameOf(req.headers.host ?? '');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    const repl = await this.#opts.backend.lookup(route.replId);
    if (!repl) return refuse('404 Not Found');
    const needsOwner = route.kind === 'ide' || !repl.isPublic(route.port);
    if (needsOwner) {
      if (!this.#ownerSession(req.headers.cookie, hostname, repl.owner)) return refuse('401 Unauthorized');
      // The cookie rides along on cross-site WebSocket requests too: the Origin must be this host.
      const origin = req.headers.origin;
      let originHost: string | undefined;
      try {
        originHost = origin ? new URL(origin).hostname : undefined;
      } catch {
        originHost = undefined;
      }
      if (originHost !== hostname) return refuse('403 Forbidden');
    }
    if (repl.status !== 'running') return refuse('503 Service Unavailable');
    const target = route.kind === 'ide' ? repl.ide : repl.port?.(route.port);
    if (!target) return refuse('502 Bad Gateway');
    this.#prepareHeaders(req, hostname);
    this.#upstreams.ws(req, socket, head, target);
  }

  /**
   * Whether one request head on a fast-path connection may pass, given the repl as it is now:
   * an ordinary HTTP/1.1 request for this host (an upgrade only as a connection's first
   * request), to a running repl, by someone allowed in at this moment (a port made private, or
   * a host cookie that expired, stops the very next request), with an Origin of this host for a
   * private upgrade. Answers where it goes, or undefined when the full server must decide.
   */
  #fastCheck(h: RequestHead, route: ReplRoute, hostname: string, repl: ProxiedRepl | undefined, upgrade: boolean): Target | undefined {
    if (!ordinary(h, upgrade) || !repl || repl.status !== 'running') return undefined;
    const target = route.kind === 'ide' ? repl.ide : repl.port?.(route.port);
    if (!target) return undefined;
    const needsOwner = route.kind === 'ide' || !repl.isPublic(route.port);
    if (!needsOwner) return target;
    if (!this.#ownerSession(headerValue(h, 'cookie'), hostname, repl.owner)) return undefined;
    // The cookie rides along on cross-site WebSocket requests too: for a private host the Origin must be this host.
    if (upgrade) {
      try {
        if (new URL(headerValue(h, 'origin') ?? '').hostname !== hostname) return undefined;
      } catch {
        return undefined;
      }
    }
    return target;
  }

  /**
   * Whether a connection whose first request is `head` may take the fast path (see
   * fast-path.ts). Access is decided per request, never per connection: every later request on
   * a kept-alive connection is looked up and checked again (see #fastCheck), and a request that
   * fails is never forwarded (the connection closes; the browser retries on the full server).
   */
  async fastAccess(head: RequestHead, route: ReplRoute, socket: net.Socket): Promise<FastAccess | undefined> {
    const hostHeader = headerValue(head, 'host');
    if (hostHeader === undefined) return undefined;
    const hostname = hostnameOf(hostHeader);
    const target = this.#fastCheck(head, route, hostname, await this.#opts.backend.lookup(route.replId), isUpgrade(head));
    if (!target) return undefined;
    let first = true;
    const forwardedFor = socket.remoteAddress ?? '';
    const proto = this.#opts.publicOrigin.scheme;
    const forward = (h: RequestHead): Buffer => {
      let out = `${h.method} ${h.target} ${h.version}\r\n`;
      for (const [name, value] of h.headers) {
        const lower = name.toLowerCase();
        if (DROPPED_HEADERS.has(lower) || lower.startsWith('x-forwarded-')) continue;
        if (lower === 'cookie') {
          const kept = withoutCookies(value, [HOST_COOKIE]);
          if (kept) out += `${name}: ${kept}\r\n`;
          continue;
        }
        out += `${name}: ${value}\r\n`;
      }
      out += `x-forwarded-for: ${forwardedFor}\r\nx-forwarded-proto: ${proto}\r\nx-forwarded-host: ${hostHeader}\r\n\r\n`;
      return Buffer.from(out, 'latin1');
    };
    return {
      target,
      rewrite: (h) => {
        if (headerValue(h, 'host') !== hostHeader) return undefined;
        if (first) {
          // The head fastAccess just checked: same decision, no second lookup.
          first = false;
          return forward(h);
        }
        return this.#opts.backend.lookup(route.replId).then((now) => {
          const still = this.#fastCheck(h, route, hostname, now, false);
          // A restarted repl may listen elsewhere; this connection's upstream is the old one.
          return still && sameTarget(still, target) ? forward(h) : undefined;
        });
      },
      unreachable: (client) => {
        const page =
          route.kind === 'ide'
            ? upstreamDownPage({ what: 'VS Code', hint: 'The editor of this repl is restarting. Your files are safe.' })
            : upstreamDownPage({ what: `Port ${route.port}`, hint: `Nothing is listening on port ${route.port} in this repl. Press Run, and make sure the app listens on 0.0.0.0:${route.port}.` });
        const body = Buffer.from(page);
        client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${page}`);
      },
    };
  }

  /** Called when a repl stops: its pooled upstream connections are dead. `part` is matched within socket paths. */
  forget(part: string): void {
    this.#upstreams.forget(part);
  }

  close(): void {
    this.#upstreams.close();
  }

  #redeem(req: http.IncomingMessage, res: http.ServerResponse, route: ReplRoute, repl: ProxiedRepl, hostname: string, url: URL): void {
    const wait = this.#ticketLimiter.take(req.socket.remoteAddress ?? '');
    if (wait) {
      return sendHtml(res, 429, signInPage({ reason: `Too many sign-in attempts from your address. Wait ${wait} seconds, then`, openUrl: this.#openUrl(route.replId, route) }), { 'retry-after': String(wait) });
    }
    const check = this.#opts.signer.verify(url.searchParams.get('ticket') ?? undefined, { purpose: 'ticket', host: hostname });
    const next = sameHostPath(url.searchParams.get('next')) ?? '/';
    let reason: string | undefined;
    if (!check.ok) reason = check.reason === 'expired' ? 'This link has expired.' : 'This link is not valid here.';
    else if (!this.#nonces.use(check.grant.nonce, check.grant.expiresAt)) reason = 'This link was already used.';
    else if (check.grant.account !== repl.owner) reason = 'This link is for somebody else.';
    if (reason || !check.ok) {
      return sendHtml(res, 403, signInPage({ reason: `${reason} Links to a repl work once and for a minute.`, openUrl: this.#openUrl(route.replId, route, next) }));
    }
    const session = this.#opts.signer.sign({ purpose: 'session', host: hostname, account: check.grant.account, expiresAt: Date.now() + this.#opts.sessionTtlMs });
    const cookie = serializeHostCookie(HOST_COOKIE, session, {
      maxAgeSeconds: this.#opts.sessionTtlMs / 1000,
      secure: this.#opts.publicOrigin.scheme === 'https',
      sameSite: 'Lax',
    });
    res.writeHead(302, { location: next, 'set-cookie': cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
  }

  /** What the repl sees: no proxy credentials, and forwarding headers we set ourselves. */
  #prepareHeaders(req: http.IncomingMessage, hostname: string): void {
    const headers = req.headers;
    const cookie = withoutCookies(headers.cookie, [HOST_COOKIE]);
    if (cookie) headers.cookie = cookie;
    else delete headers.cookie;
    delete headers.authorization;
    delete headers['proxy-authorization'];
    delete headers.forwarded;
    delete headers['x-real-ip'];
    for (const name of Object.keys(headers)) if (name.startsWith('x-forwarded-')) delete headers[name];
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = this.#opts.publicOrigin.scheme;
    headers['x-forwarded-host'] = req.headers.host ?? hostname;
  }
}
