import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyServerFactory } from 'fastify';
import { describeError } from '@codeyard/common/errors';
import { escapeHtml, page } from '@codeyard/common/html';
import { type HostRoute, parseHost, type PublicOrigin } from '@codeyard/common/hostnames';
import { headerValue } from '@codeyard/proxy/fast-path';
import { createFrontServer } from '@codeyard/proxy/front';
import type { ReplProxy } from '@codeyard/proxy/repl-proxy';

export interface HostingOptions {
  proxy: ReplProxy;
  publicOrigin: PublicOrigin;
  /** The portal's origin, linked from the pages that answer hosts we do not serve. */
  origin: string;
  /** Let the front server hand repl traffic it can check head by head to the proxy directly. */
  fastPath: boolean;
  log: { error(obj: object, msg: string): void };
}

/**
 * How one port carries both the portal and the repl hosts. Fastify builds its HTTP server with
 * {@link Hosting.serverFactory}: requests to the portal host go to Fastify, `<id>.<domain>` and
 * `<id>-<port>.<domain>` to the repl proxy, anything else is refused. WebSocket upgrades are
 * dispatched the same way; the portal's own are re-emitted on {@link Hosting.portalUpgrades},
 * where @fastify/websocket routes them like any request (hooks, auth, schema, handler).
 */
export interface Hosting {
  serverFactory: FastifyServerFactory;
  /** The HTTP server (built when Fastify is constructed): portal API, pages, the proxy's slow path. */
  readonly server: http.Server;
  /** Never listens: only carries the portal host's upgrades to Fastify's WebSocket routes. */
  readonly portalUpgrades: http.Server;
  /** Listens on the public port: the fast path for repl traffic in front of `server`. */
  listen(port: number, host: string): Promise<void>;
  /** Connections the proxy's fast path has taken so far. */
  fastConnections(): number;
  /** Upgraded sockets are no longer the HTTP server's to close: destroys them. */
  destroyUpgraded(): void;
  /** Closes the front server and every connection it still holds (after Fastify has closed). */
  close(): Promise<void>;
}

/** Fastify's own default idle time for a keep-alive connection. */
const KEEP_ALIVE_MS = 72_000;

export function createHosting(options: HostingOptions): Hosting {
  const { proxy, publicOrigin, origin, log } = options;
  let server: http.Server | undefined;
  let front: ReturnType<typeof createFrontServer> | undefined;
  const portalUpgrades = http.createServer();
  const upgraded = new Set<Duplex>();
  // The HTTP server never listens (the front hands it sockets), so Node does not track its
  // connections and closeAllConnections() would miss them: keep-alive ones held close() open.
  const connections = new Set<Duplex>();
  const routeOf = (req: http.IncomingMessage): HostRoute => parseHost(req.headers.host, publicOrigin);
  const built = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the HTTP server is made by Fastify: construct it with hosting.serverFactory first');
    return value;
  };

  const onRequest = (handler: http.RequestListener) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const route = routeOf(req);
    if (route.kind === 'portal') return handler(req, res);
    if (route.kind === 'ide' || route.kind === 'preview') {
      proxy.handleRequest(req, res, route).catch((err: unknown) => {
        log.error({ err: describeError(err), host: req.headers.host }, 'proxy failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        else res.destroy();
      });
      return;
    }
    // Only names under our domain are served; anything else was not meant for us.
    const status = route.kind === 'foreign' ? 421 : 404;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page({ title: status === 421 ? 'Wrong host' : 'Not found', body: `<h1>${status === 421 ? 'This server does not serve that host' : 'No such repl'}</h1><p><a href="${escapeHtml(origin)}">Go to Codeyard</a></p>` }));
  };

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const route = routeOf(req);
    if (route.kind === 'ide' || route.kind === 'preview') {
      proxy.handleUpgrade(req, socket, head, route).catch(() => socket.destroy());
      return;
    }
    if (route.kind !== 'portal') return void socket.end('HTTP/1.1 421 Misdirected Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    portalUpgrades.emit('upgrade', req, socket, head);
  };

  return {
    serverFactory(handler) {
      server = http.createServer(onRequest(handler));
      // Fastify applies its keepAliveTimeout (72 s) only to servers it makes itself: without this,
      // Node's 5 s closes an idle keep-alive connection just as a client that paused about that
      // long (a poll, a dashboard) sends on it, and the client sees "socket hang up".
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      server.on('upgrade', onUpgrade);
      server.on('connection', (socket: Duplex) => {
        connections.add(socket);
        socket.once('close', () => connections.delete(socket));
      });
      // In front of it all: repl traffic that can be checked head by head skips the full HTTP stack.
      front = createFrontServer({
        http: server,
        async decide(head, socket) {
          if (!options.fastPath) return undefined;
          const route = parseHost(headerValue(head, 'host'), publicOrigin);
          return route.kind === 'ide' || route.kind === 'preview' ? proxy.fastAccess(head, route, socket) : undefined;
        },
      });
      front.on('connection', (socket) => socket.on('error', () => socket.destroy()));
      return server;
    },
    get server() {
      return built(server);
    },
    portalUpgrades,
    listen(port, host) {
      const listening = built(front);
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
    },
    fastConnections: () => built(front).fastConnections(),
    destroyUpgraded() {
      for (const socket of upgraded) socket.destroy();
    },
    async close() {
      // The front was listened on by listen() (not by Fastify), so it is closed here; the
      // HTTP server never listens itself, it only gets connections from the front.
      const f = built(front);
      const closeConnections = (): void => {
        for (const socket of connections) socket.destroy();
      };
      closeConnections();
      if (f.listening) {
        const closed = new Promise<void>((resolve) => f.close(() => resolve()));
        f.closeAll();
        closeConnections();
        await closed;
      }
    },
  };
}
