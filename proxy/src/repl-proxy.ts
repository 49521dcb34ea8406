import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { hostnameOf, type PublicOrigin, originFor, sameHostPath } from '@codeyard/common/hostnames';
import { RateLimiter } from '@codeyard/common/rate-limit';
import { type GrantSigner, NonceRegistry, type TicketLedger } from '@codeyard/common/tickets';
import type { AppState, Target } from '@codeyard/common/agent/protocol';
import { isAppError } from '@codeyard/common/errors';
import { type AccessDecision, type AppAction, barWanted, decideAccess, decideTicket, HOST_COOKIE, isNavigation, type ProxiedRepl, type ReplRoute, STATUS_PATH, type TicketDecision } from './access-policy.js';
import { serializeHostCookie } from './cookies.js';
import { fastAccess } from './fast-access.js';
import { ideBarPage } from './ide-bar.js';
import { askInBackground, type IdePageSource, IdePages, pageAnswersQuery } from './ide-page.js';
import type { IdeStaticFiles } from './ide-static.js';
import type { FastAccess, RequestHead } from './fast-path.js';
import { scrubIncomingHeaders } from './header-policy.js';
import { notFoundPage, notRunningPage, signInPage, startingPage, upstreamDownFor, upstreamDownPage } from './pages.js';
import { Upstreams } from './upstream.js';

export { HOST_COOKIE, type ProxiedRepl, RESERVED_PREFIX, type ReplStatus } from './access-policy.js';

/**
 * Where the proxy reports use of a repl (the portal's idle stop). Called per forwarded request,
 * so it must be a few operations in memory: never a database write per request.
 */
export interface ActivitySink {
  /** A request was forwarded to the repl (IDE, preview or app). */
  touch(replId: string): void;
  /** A connection to the repl was upgraded (a WebSocket): active until the release is called. */
  hold(replId: string): () => void;
}

/** The portal side of the proxy (in-process on one machine; a client of the portal API otherwise). */
export interface ProxyBackend {
  lookup(replId: string): Promise<ProxiedRepl | undefined>;
  /** Starts a stopped repl for its owner (and its app, for a preview); returns at once. */
  wake(replId: string, account: string, options: { runApp: boolean }): void;
  /** The Codeyard bar's app control, as the owner: the app's state after the action, and where it is seen. */
  app(replId: string, account: string, action: AppAction): Promise<AppControl>;
  /** The repl's name, for the bar's page. */
  name(replId: string): Promise<string>;
  /** Told of every forwarded request and open WebSocket (idle stop); none when idle stop is off. */
  activity?: ActivitySink;
  /** Whether a portal credential host cookies were made through was signed out or revoked (none: never). */
  revoked?: (via: string) => boolean;
  /**
   * Whether the repl's VS Code was given a display language of its own (its `argv.json`): then
   * its page comes from its code-server, which knows the language's messages (ide-page.ts).
   * True when unknown; without this method every page comes from code-server.
   */
  displayLanguageSet?(replId: string): Promise<boolean>;
}

/** What the bar's app control answers. */
export interface AppControl {
  app: AppState;
  previewUrl: string;
}

export interface ReplProxyOptions {
  backend: ProxyBackend;
  signer: GrantSigner;
  publicOrigin: PublicOrigin;
  /** How long the host cookie lives. */
  sessionTtlMs: number;
  /** Ticket redemptions a client address may make a minute (guessing is hopeless, but cheap to try). */
  ticketsPerMinute?: number;
  /**
   * The visitor's address that rate limits count: the socket's by default; behind reverse proxies
   * the portal trusts (CODEYARD_TRUSTED_PROXIES), the X-Forwarded-For entry they vouch for, or
   * every visitor would share the proxy's address and one bucket.
   */
  clientAddress?: (req: http.IncomingMessage) => string;
  /**
   * Records each ticket's single use. In this process's memory by default, which is right for
   * one portal; several portal replicas must share one (a database-backed ledger).
   */
  tickets?: TicketLedger;
  log?: { warn(obj: object, msg: string): void };
  /**
   * Serves code-server's versioned static files for repls whose install the proxy knows
   * (ProxiedRepl.ideStatic). Without it those requests go to the repl's code-server.
   */
  ideStatic?: IdeStaticFiles;
}

function sendHtml(res: http.ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** How an upgrade that may not pass is answered: a bare status line, then the socket closes. */
const UPGRADE_REFUSALS: Record<Exclude<AccessDecision['kind'], 'forward'>, string> = {
  'not-found': '404 Not Found',
  'sign-in': '401 Unauthorized',
  'cross-origin': '403 Forbidden',
  'not-running': '503 Service Unavailable',
  'no-upstream': '502 Bad Gateway',
  // The proxy's own endpoints are never an upgrade's (see decideAccess); refused all the same.
  'ticket-exchange': '404 Not Found',
  status: '404 Not Found',
  'status-refused': '401 Unauthorized',
  app: '404 Not Found',
  'app-refused': '404 Not Found',
  'ide-bar': '404 Not Found',
  'ide-static': '404 Not Found',
  'ide-page': '404 Not Found',
};

const APP_REFUSALS = {
  401: { code: 'UNAUTHENTICATED', message: 'open this repl from Codeyard first' },
  403: { code: 'FORBIDDEN', message: 'Run, Restart and Stop app are pressed from the Codeyard bar of this host only' },
  404: { code: 'NOT_FOUND', message: 'no such app control: GET /_codeyard/app, POST /_codeyard/app/start, /_codeyard/app/restart or /_codeyard/app/stop' },
  405: { code: 'METHOD_NOT_ALLOWED', message: 'GET /_codeyard/app reads the state; POST …/start, …/restart and …/stop change it' },
} as const;

/**
 * Serves every repl host: `<id>.<domain>` (the IDE, always private) and `<id>-<port>.<domain>`
 * (an app port, public or private). Who may reach what is decided by the access policy
 * (access-policy.ts) for plain requests, upgrades and the fast path alike; what reaches the
 * repl by the header policy (header-policy.ts). Access is by a signed ticket exchanged once for
 * a cookie of this one host.
 */
export class ReplProxy {
  readonly #opts: ReplProxyOptions;
  readonly #upstreams = new Upstreams();
  readonly #pages = new IdePages();
  readonly #tickets: TicketLedger;
  readonly #ticketLimiter: RateLimiter;

  constructor(options: ReplProxyOptions) {
    this.#opts = options;
    this.#tickets = options.tickets ?? new NonceRegistry();
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

  /** The access policy's decision for a request of Node's HTTP server (plain or upgrade), with what it was made from. */
  async #decide(req: http.IncomingMessage, route: ReplRoute, upgrade: boolean): Promise<{ decision: AccessDecision; repl: ProxiedRepl | undefined; hostname: string; url: URL }> {
    const hostname = hostnameOf(req.headers.host ?? '');
    const repl = await this.#opts.backend.lookup(route.replId);
    // An upgrade's path does not matter to the policy (and is not parsed, so an odd one still reaches the repl).
    const url = new URL(upgrade ? '/' : (req.url ?? '/'), 'http://x');
    const fetchDest = req.headers['sec-fetch-dest'];
    const decision = decideAccess(
      { route, hostname, repl, upgrade, method: req.method ?? 'GET', path: url.pathname, cookie: req.headers.cookie, accept: req.headers.accept, origin: req.headers.origin, fetchDest: typeof fetchDest === 'string' ? fetchDest : undefined, bar: barWanted(url.search), now: Date.now(), revoked: this.#opts.backend.revoked },
      this.#opts.signer,
    );
    return { decision, repl, hostname, url };
  }

  async handleRequest(req: http.IncomingMessage, res: http.ServerResponse, route: ReplRoute): Promise<void> {
    const { decision, repl, hostname, url } = await this.#decide(req, route, false);
    switch (decision.kind) {
      case 'not-found':
        return sendHtml(res, 404, notFoundPage(hostname, this.#portalOrigin));
      case 'ticket-exchange':
        return this.#redeem(req, res, route, repl!, hostname, url);
      case 'status-refused':
        return sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'open this repl from Codeyard first' } });
      case 'status':
        return sendJson(res, 200, { status: repl!.status, step: repl!.step, error: repl!.error, queue: repl!.queue });
      case 'app-refused':
        return sendJson(res, decision.status, { error: APP_REFUSALS[decision.status] });
      case 'app':
        return this.#appControl(res, route.replId, repl!, decision.action);
      case 'ide-bar':
        return sendHtml(res, 200, ideBarPage({ frameSrc: `/${url.search}`, replName: await this.#opts.backend.name(route.replId), staticPrefix: this.#barPreloads(repl!) }), {
          // Nobody frames the bar (its Run button would be a click away for another site).
          'content-security-policy': "frame-ancestors 'none'",
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        });
      case 'sign-in':
        // A browser is sent to the portal, which checks who it is and comes back with a ticket.
        if (decision.redirect) {
          res.writeHead(302, { location: this.#openUrl(route.replId, route, `${url.pathname}${url.search}`), 'cache-control': 'no-store' });
          return void res.end();
        }
        return sendJson(res, 401, { error: { code: 'UNAUTHENTICATED', message: `open ${this.#openUrl(route.replId, route)} to sign in to this repl` } });
      case 'cross-origin':
        // Never for a plain request (only an upgrade's Origin is checked); refused all the same.
        return sendJson(res, 403, { error: { code: 'FORBIDDEN', message: 'cross-origin request refused' } });
      case 'not-running': {
        if (!decision.owner) {
          const body = notRunningPage({ replId: route.replId, port: route.kind === 'preview' ? route.port : 0, openUrl: this.#openUrl(route.replId, route) });
          return sendHtml(res, 503, body, { 'retry-after': '5' });
        }
        if (decision.wake) this.#opts.backend.wake(route.replId, repl!.owner, { runApp: route.kind === 'preview' });
        const title = route.kind === 'ide' ? 'Starting your repl' : `Starting the app on port ${route.port}`;
        const queue = repl!.queue;
        if (!isNavigation(req.method, req.headers.accept)) {
          const message = queue ? `this server is full: the repl is #${queue.position} in line and starts when room appears` : `the repl is ${repl!.status}; try again shortly`;
          return sendJson(res, 503, { error: { code: queue ? 'SERVER_FULL' : 'UNAVAILABLE', message, ...(queue ? { details: queue } : {}) } });
        }
        return sendHtml(res, 503, startingPage({ title, statusUrl: STATUS_PATH, step: repl!.step, queue }), { 'retry-after': '2' });
      }
      case 'ide-static':
        if (!this.#opts.ideStatic) return this.#forward(req, res, route, hostname, repl!.ide!);
        // VS Code loading is the IDE in use, as its requests to the repl are.
        this.#opts.backend.activity?.touch(route.replId);
        return this.#opts.ideStatic.serve(req, res, decision.install, decision.rest);
      case 'ide-page':
        return this.#idePage(req, res, route, hostname, url, decision.source, decision.target);
      case 'no-upstream':
        return sendHtml(res, 502, upstreamDownPage({ what: 'The repl', hint: 'It is not reachable right now.' }));
      case 'forward':
        return this.#forward(req, res, route, hostname, decision.target);
    }
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse, route: ReplRoute, hostname: string, target: Target): void {
    this.#opts.backend.activity?.touch(route.replId);
    scrubIncomingHeaders(req.headers, this.#forwarding(req, hostname));
    this.#upstreams.web(req, res, target, (err) => {
      this.#opts.log?.warn({ replId: route.replId, err: err.message }, 'upstream error');
      if (res.headersSent) return void res.destroy();
      sendHtml(res, 502, upstreamDownFor(route));
    });
  }

  /**
   * Whether the bar's page preloads VS Code's first files (their static prefix) or not: only
   * while the frame's page comes from code-server, which keeps the frame waiting for VS Code's
   * server to load. A frame whose page the proxy makes asks for them at once itself, and a
   * preload in the bar's document only parses the 19 MB workbench a second time there (measured:
   * the first visit took 0.5 s longer with it).
   */
  #barPreloads(repl: ProxiedRepl): string | undefined {
    if (repl.idePage && this.#pages.pageOf(repl.idePage)) return undefined;
    return repl.ideStatic?.prefix;
  }

  /** VS Code's page for the bar's frame, made here when it can be made exactly; else code-server's (ide-page.ts). */
  async #idePage(req: http.IncomingMessage, res: http.ServerResponse, route: ReplRoute, hostname: string, url: URL, source: IdePageSource, target: Target): Promise<void> {
    const page = pageAnswersQuery(url.searchParams) ? this.#pages.pageOf(source) : undefined;
    const languageSet = page ? await (this.#opts.backend.displayLanguageSet?.(route.replId) ?? Promise.resolve(true)).catch(() => true) : true;
    if (!page || languageSet) return this.#forward(req, res, route, hostname, target);
    this.#opts.backend.activity?.touch(route.replId);
    askInBackground(target, `${url.pathname}${url.search}`, req.headers.host ?? hostname);
    const { body, headers } = page.render();
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, route: ReplRoute): Promise<void> {
    const { decision, hostname } = await this.#decide(req, route, true);
    if (decision.kind !== 'forward') {
      return void socket.end(`HTTP/1.1 ${UPGRADE_REFUSALS[decision.kind]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    scrubIncomingHeaders(req.headers, this.#forwarding(req, hostname));
    // An open WebSocket (VS Code's connection, an app's socket) is use for as long as it is open.
    const release = this.#opts.backend.activity?.hold(route.replId);
    if (release) socket.once('close', release);
    this.#upstreams.ws(req, socket, head, decision.target);
  }

  /**
   * Whether a connection whose first request is `head` may take the fast path, and how its
   * requests are checked and rewritten (fast-access.ts).
   */
  fastAccess(head: RequestHead, route: ReplRoute, socket: net.Socket): Promise<FastAccess | undefined> {
    return fastAccess({ lookup: (id) => this.#opts.backend.lookup(id), signer: this.#opts.signer, scheme: this.#opts.publicOrigin.scheme, activity: this.#opts.backend.activity, revoked: this.#opts.backend.revoked }, head, route, socket);
  }

  /** Called when a repl stops: its pooled upstream connections are dead. `part` is matched within socket paths. */
  forget(part: string): void {
    this.#upstreams.forget(part);
  }

  close(): void {
    this.#upstreams.close();
    void this.#opts.ideStatic?.close();
  }

  #forwarding(req: http.IncomingMessage, hostname: string): { clientAddress: string; scheme: string; host: string } {
    return { clientAddress: req.socket.remoteAddress ?? '', scheme: this.#opts.publicOrigin.scheme, host: req.headers.host ?? hostname };
  }

  /** Run, Stop or the state for the owner's bar; the portal's errors keep their status and code. */
  async #appControl(res: http.ServerResponse, replId: string, repl: ProxiedRepl, action: AppAction): Promise<void> {
    try {
      sendJson(res, 200, await this.#opts.backend.app(replId, repl.owner, action));
    } catch (err) {
      if (isAppError(err)) return sendJson(res, err.status, { error: { code: err.code, message: err.message } });
      this.#opts.log?.warn({ replId, err: (err as Error)?.message }, 'app control failed');
      sendJson(res, 502, { error: { code: 'UPSTREAM', message: 'the repl agent did not answer' } });
    }
  }

  /** The sign-in endpoint: a ticket in the URL becomes this host's cookie (see decideTicket). */
  async #redeem(req: http.IncomingMessage, res: http.ServerResponse, route: ReplRoute, repl: ProxiedRepl, hostname: string, url: URL): Promise<void> {
    const next = sameHostPath(url.searchParams.get('next')) ?? '/';
    const request = { ticket: url.searchParams.get('ticket') ?? undefined, hostname, owner: repl.owner, wait: this.#ticketLimiter.take(this.#opts.clientAddress?.(req) ?? req.socket.remoteAddress ?? ''), now: Date.now() };
    let decision: TicketDecision = decideTicket(request, this.#opts.signer);
    if (decision.kind === 'redeem') {
      let firstUse: boolean | 'failed';
      try {
        firstUse = await this.#tickets.redeem(decision.nonce, decision.expiresAt);
      } catch (err) {
        // A ledger that cannot answer refuses the ticket: letting it through could open a second session.
        this.#opts.log?.warn({ replId: route.replId, err: (err as Error)?.message }, 'ticket ledger failed');
        firstUse = 'failed';
      }
      decision = decideTicket({ ...request, firstUse }, this.#opts.signer);
    }
    switch (decision.kind) {
      case 'too-many':
        return sendHtml(res, 429, signInPage({ reason: `Too many sign-in attempts from your address. Wait ${decision.wait} seconds, then`, openUrl: this.#openUrl(route.replId, route) }), {
          'retry-after': String(decision.wait),
        });
      case 'redeem':
      case 'refused': {
        const reason = decision.kind === 'refused' ? decision.reason : 'This link could not be checked.';
        return sendHtml(res, 403, signInPage({ reason: `${reason} Links to a repl work once and for a minute.`, openUrl: this.#openUrl(route.replId, route, next) }));
      }
      case 'session': {
        const session = this.#opts.signer.sign({ purpose: 'session', host: hostname, account: decision.account, expiresAt: Date.now() + this.#opts.sessionTtlMs, via: decision.via });
        const cookie = serializeHostCookie(HOST_COOKIE, session, {
          maxAgeSeconds: this.#opts.sessionTtlMs / 1000,
          secure: this.#opts.publicOrigin.scheme === 'https',
          sameSite: 'Lax',
        });
        res.writeHead(302, { location: next, 'set-cookie': cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
        res.end();
      }
    }
  }
}
