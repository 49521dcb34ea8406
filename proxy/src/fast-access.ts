import type net from 'node:net';
import type { Target } from '@codeyard/common/agent/protocol';
import { hostnameOf } from '@codeyard/common/hostnames';
import type { GrantSigner } from '@codeyard/common/tickets';
import { barWanted, decideAccess, type ProxiedRepl, RESERVED_PREFIX, type ReplRoute } from './access-policy.js';
import { bodyFraming, type FastAccess, headerValue, type RequestHead } from './fast-path.js';
import { upstreamHead } from './header-policy.js';
import { upstreamDownFor } from './pages.js';
import type { ActivitySink } from './repl-proxy.js';

/**
 * The repl proxy's side of the fast path (fast-path.ts moves the bytes): which request heads
 * may pass, decided by the same access policy as the full server's, and how each is rewritten
 * for the upstream, by the same header policy.
 */

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

/** What the fast path needs of the repl proxy. */
export interface FastAccessContext {
  lookup(replId: string): Promise<ProxiedRepl | undefined>;
  signer: GrantSigner;
  /** The public scheme, told to the repl as x-forwarded-proto. */
  scheme: string;
  /** Told of each forwarded request, and of an upgraded connection for as long as it is open. */
  activity?: ActivitySink;
  /** See ProxyBackend.revoked. */
  revoked?: (via: string) => boolean;
}

/**
 * Where one request head on a fast-path connection goes, given the repl as it is now: only an
 * ordinary HTTP/1.1 request (an upgrade only as a connection's first request) that the access
 * policy would forward. Anything else (refused, asleep, a sign-in, a static file of code-server's
 * install, which the proxy serves itself: ide-static.ts) is the full server's to answer, so undefined.
 */
function fastTarget(ctx: FastAccessContext, h: RequestHead, route: ReplRoute, hostname: string, repl: ProxiedRepl | undefined, upgrade: boolean): Target | undefined {
  if (!ordinary(h, upgrade)) return undefined;
  const decision = decideAccess(
    {
      route,
      hostname,
      repl,
      upgrade,
      method: h.method,
      path: h.target.split('?')[0]!,
      cookie: headerValue(h, 'cookie'),
      accept: headerValue(h, 'accept'),
      origin: headerValue(h, 'origin'),
      fetchDest: headerValue(h, 'sec-fetch-dest'),
      bar: barWanted(h.target.includes('?') ? h.target.slice(h.target.indexOf('?')) : ''),
      now: Date.now(),
      revoked: ctx.revoked,
    },
    ctx.signer,
  );
  return decision.kind === 'forward' ? decision.target : undefined;
}

/**
 * Whether a connection whose first request is `head` may take the fast path (see
 * fast-path.ts). Access is decided per request, never per connection: every later request on
 * a kept-alive connection is looked up and checked again, and a request that fails is never
 * forwarded (the connection closes; the browser retries on the full server).
 */
export async function fastAccess(ctx: FastAccessContext, head: RequestHead, route: ReplRoute, socket: net.Socket): Promise<FastAccess | undefined> {
  const hostHeader = headerValue(head, 'host');
  if (hostHeader === undefined) return undefined;
  const hostname = hostnameOf(hostHeader);
  const target = fastTarget(ctx, head, route, hostname, await ctx.lookup(route.replId), isUpgrade(head));
  if (!target) return undefined;
  let first = true;
  const { activity } = ctx;
  const forwarding = { clientAddress: socket.remoteAddress ?? '', scheme: ctx.scheme, host: hostHeader };
  return {
    target,
    rewrite: (h) => {
      if (headerValue(h, 'host') !== hostHeader) return undefined;
      if (first) {
        // The head fastAccess just checked: same decision, no second lookup.
        first = false;
        if (activity && isUpgrade(h)) {
          // Upgraded (VS Code's WebSocket): the repl is in use until the connection closes.
          socket.once('close', activity.hold(route.replId));
        } else activity?.touch(route.replId);
        return upstreamHead(h, forwarding);
      }
      return ctx.lookup(route.replId).then((now) => {
        const still = fastTarget(ctx, h, route, hostname, now, false);
        // A restarted repl may listen elsewhere; this connection's upstream is the old one.
        if (!still || !sameTarget(still, target)) return undefined;
        activity?.touch(route.replId);
        return upstreamHead(h, forwarding);
      });
    },
    unreachable: (client) => {
      const page = upstreamDownFor(route);
      const body = Buffer.from(page);
      client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${page}`);
    },
  };
}
