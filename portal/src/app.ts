import http from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { AppError, describeError, isAppError } from '@codeyard/common/errors';
import { escapeHtml, page } from '@codeyard/common/html';
import { type HostRoute, originFor, parseHost, type PublicOrigin, sameHostPath } from '@codeyard/common/hostnames';
import { REPL_ID_SOURCE } from '@codeyard/common/repl-id';
import { GrantSigner } from '@codeyard/common/tickets';
import { headerValue } from '@codeyard/proxy/fast-path';
import { createFrontServer } from '@codeyard/proxy/front';
import { type ProxyBackend, ReplProxy } from '@codeyard/proxy/repl-proxy';
import { Accounts } from './accounts/accounts.js';
import { type Credentials, credentialsOf, sessionCookieName } from './api/auth.js';
import { apiRoutes, IMPORT_TYPES } from './api/routes.js';
import { sharedSchemas } from './api/schemas.js';
import type { Config } from './config.js';
import { ReplService } from './repls/repl-service.js';
import type { Runtime } from './runtime/runtime.js';
import type { ObjectStore } from './store/object-store.js';
import type { WorkspaceStore } from './store/workspace-store.js';
import type { Template } from './templates/catalog.js';
import { registerUi } from './ui/serve-ui.js';

export interface PortalDeps {
  config: Readonly<Config>;
  store: ObjectStore;
  /** The same workspace view of the store the runtime syncs through. */
  workspaces: WorkspaceStore;
  runtime: Runtime;
  templates: readonly Template[];
  signingKey: Buffer;
  log: Logger;
}

export interface Portal {
  app: FastifyInstance;
  /** The full HTTP server (portal API, pages, the proxy's slow path). */
  server: http.Server;
  /** Listens on the public port: the fast path for repl traffic in front of `server`. */
  listen(port: number, host: string): Promise<void>;
  /** Connections the proxy's fast path has taken so far. */
  fastConnections(): number;
  repls: ReplService;
  publicOrigin: PublicOrigin;
  /** Portal origin, e.g. http://localhost:8080. */
  origin: string;
  close(): Promise<void>;
}

function fastifyErrorToApp(err: FastifyError, contentType: string | undefined): AppError {
  if (err.validation) return new AppError('VALIDATION', err.message);
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_JSON', `the request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `this route does not take ${contentType ? `${contentType.split(';')[0]!.trim()} bodies` : 'a body without a content-type'}: send application/json (an import takes ${IMPORT_TYPES.join(', ')})`,
      );
  }
  if (err instanceof SyntaxError) return new AppError('INVALID_JSON', `the request body is not valid JSON: ${err.message}`);
  if (err.statusCode && err.statusCode < 500) return new AppError(err.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', err.message);
  return new AppError('INTERNAL', describeError(err));
}

/**
 * Builds the portal and, on the same server, the proxy for repl hosts. Nothing listens yet:
 * main.ts does that, and tests listen on port 0.
 */
export async function buildPortal(deps: PortalDeps): Promise<Portal> {
  const { config, runtime, log } = deps;
  const publicOrigin: PublicOrigin = { domain: config.domain, previewDomain: config.previewDomain, scheme: config.publicScheme, port: config.publicPort };
  const origin = originFor(config.domain, publicOrigin);
  const signer = new GrantSigner(deps.signingKey);
  const templates = new Map(deps.templates.map((t) => [t.manifest.id, t]));
  const accounts = new Accounts(deps.store);
  const repls = new ReplService({
    store: deps.store,
    workspaces: deps.workspaces,
    runtime,
    templates,
    signer,
    publicOrigin,
    ticketTtlMs: config.ticketTtlMs,
    limits: { repls: config.maxReplsPerAccount, running: config.maxRunningPerAccount, workspaceBytes: config.limitDiskBytes, importEntries: config.importMaxEntries, fileBytes: config.maxFileBytes },
    log,
  });

  const backend: ProxyBackend = {
    async lookup(replId) {
      const record = await repls.record(replId);
      if (!record) return undefined;
      const status = runtime.status(replId);
      const endpoints = runtime.endpoints(replId);
      return {
        owner: record.owner,
        status: status.state,
        step: status.step,
        error: status.error,
        ide: endpoints?.ide,
        port: endpoints ? (port) => endpoints.port(port) : undefined,
        isPublic: (port) => repls.isPublic(record, port),
      };
    },
    wake: (replId, account, options) => repls.wake(replId, account, options),
  };
  const proxy = new ReplProxy({ backend, signer, publicOrigin, sessionTtlMs: config.sessionTtlMs, ticketsPerMinute: config.ticketsPerMinute, log });
  // Pooled connections to a repl's sockets die with it; a restarted repl gets fresh ones.
  const unwatch = runtime.watch((id, status) => {
    if (status.state !== 'running') proxy.forget(`/${id}/`);
  });

  let server!: http.Server;
  const routeOf = (req: http.IncomingMessage): HostRoute => parseHost(req.headers.host, publicOrigin);
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // Unknown fields are an error the client should hear about, not something dropped quietly.
    ajv: { customOptions: { removeAdditional: false } },
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler) => {
      server = http.createServer((req, res) => {
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
      });
      return server;
    },
  });

  // In front of it all: repl traffic that can be checked head by head skips the full HTTP stack.
  const front = createFrontServer({
    http: server,
    async decide(head, socket) {
      if (!config.proxyFastPath) return undefined;
      const route = parseHost(headerValue(head, 'host'), publicOrigin);
      return route.kind === 'ide' || route.kind === 'preview' ? proxy.fastAccess(head, route, socket) : undefined;
    },
  });
  front.on('connection', (socket) => socket.on('error', () => socket.destroy()));

  // Only the body types the API documents are parsed: JSON here, raw bytes in the files and
  // import routes. Fastify's default text/plain parser would let a cross-site HTML form (which
  // may send text/plain without a preflight) reach a route; it answers 415 instead.
  app.removeContentTypeParser('text/plain');
  const cookieName = sessionCookieName(config.publicScheme === 'https');
  /** The caller's credentials, or the refusal to send when its session cookie is ambiguous. */
  const callerOf = (headers: http.IncomingHttpHeaders): Credentials | AppError => {
    try {
      return credentialsOf(headers, cookieName);
    } catch (err) {
      if (isAppError(err)) return err;
      throw err;
    }
  };

  for (const schema of sharedSchemas) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Codeyard API', version: '0.1.0', description: 'Create repls, run them, edit their files. Authenticate with a bearer token from POST /api/session.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = isAppError(err) ? err : fastifyErrorToApp(err, request.headers['content-type']);
    if (error.status >= 500) {
      request.log.error({ err, url: request.url, reqId: request.id }, 'request failed');
      const shown = error.code === 'INTERNAL' ? new AppError('INTERNAL', `internal error (request ${request.id}); see the portal log`) : error;
      return reply.code(shown.status).send(shown.toBody());
    }
    return reply.code(error.status).send(error.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    reply.code(404).send(error.toBody());
  });

  await apiRoutes(app, {
    accounts,
    repls,
    runtime,
    templates,
    portalOrigin: origin,
    secureCookies: config.publicScheme === 'https',
    maxFileBytes: config.maxFileBytes,
    importMaxBytes: config.importMaxBytes,
    sessionsPerMinute: config.sessionsPerMinute,
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true, runtime: runtime.name, store: deps.store.name }));

  app.get<{ Params: { stack: string } }>('/stacks/:stack/icon.svg', { schema: { hide: true } }, async (request, reply) => {
    const template = templates.get(request.params.stack);
    if (!template) throw new AppError('NOT_FOUND', `no stack ${request.params.stack}`);
    const { readFile } = await import('node:fs/promises');
    const svg = await readFile(`${template.dir}/${template.manifest.icon}`);
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=3600').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(svg);
  });

  // Browser entry points: the home page, and /open/<id> which signs the browser in to a repl host.
  await registerUi(app, fileURLToPath(new URL('../ui/', import.meta.url)));

  app.get<{ Params: { id: string }; Querystring: { port?: string; next?: string } }>('/open/:id', { schema: { hide: true } }, async (request, reply) => {
    const html = (status: number, title: string, body: string) => reply.code(status).type('text/html; charset=utf-8').send(page({ title, body }));
    const caller = callerOf(request.headers);
    if (caller instanceof AppError) return html(caller.status, 'Clear your cookies', `<h1>Clear this site's cookies</h1><p>${escapeHtml(caller.message)}</p>`);
    const account = await accounts.resolve(caller.token);
    if (!account) return html(401, 'Sign in', `<h1>Open Codeyard first</h1><p>This browser has no Codeyard session. Repls open from the browser that created them.</p><p><a class="button" href="/">Go to Codeyard</a></p>`);
    const port = request.query.port ? Number(request.query.port) : undefined;
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) return html(400, 'Bad link', '<h1>Bad link</h1><p>The port in this link is not a port number.</p>');
    const next = sameHostPath(request.query.next);
    try {
      return reply.redirect(await repls.ideLink(account.id, request.params.id, { port, next }), 302);
    } catch (err) {
      if (isAppError(err) && err.code === 'NOT_FOUND') return html(404, 'Not found', `<h1>No such repl</h1><p>There is no repl ${escapeHtml(request.params.id)} in your account.</p><p><a class="button" href="/">Go to Codeyard</a></p>`);
      throw err;
    }
  });

  // WebSockets: repl hosts go through the proxy; on the portal, only the app log stream.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  // Upgraded sockets are no longer the HTTP server's to close; they are tracked here for close().
  const upgraded = new Set<Duplex>();
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const route = routeOf(req);
    const refuse = (status: string): void => void socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    if (route.kind === 'ide' || route.kind === 'preview') {
      proxy.handleUpgrade(req, socket, head, route).catch(() => socket.destroy());
      return;
    }
    if (route.kind !== 'portal') return refuse('421 Misdirected Request');
    const match = new RegExp(`^/api/repls/(${REPL_ID_SOURCE})/app/logs$`).exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!match) return refuse('404 Not Found');
    void (async () => {
      const creds = callerOf(req.headers);
      if (creds instanceof AppError) return refuse('400 Bad Request');
      const account = await accounts.resolve(creds.token);
      if (!account) return refuse('401 Unauthorized');
      // Browsers send cookies on cross-site WebSocket handshakes: only our own pages may use them.
      if (creds.viaCookie && req.headers.origin !== origin) return refuse('403 Forbidden');
      let agentSocket: string;
      try {
        agentSocket = await repls.logsTarget(account.id, match[1]!);
      } catch (err) {
        return refuse(isAppError(err) && err.code === 'NOT_FOUND' ? '404 Not Found' : '409 Conflict');
      }
      wss.handleUpgrade(req, socket, head, (client) => relayLogs(client, agentSocket));
    })().catch(() => socket.destroy());
  };

  await app.ready();
  server.on('upgrade', onUpgrade);

  return {
    app,
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        front.once('error', reject);
        front.listen(port, host, () => {
          front.off('error', reject);
          resolve();
        });
      });
    },
    fastConnections: () => front.fastConnections(),
    repls,
    publicOrigin,
    origin,
    async close() {
      unwatch();
      repls.close();
      for (const client of wss.clients) client.terminate();
      for (const socket of upgraded) socket.destroy();
      wss.close();
      proxy.close();
      await app.close();
      // The front was listened on by listen() (not by fastify), so it is closed here; the
      // HTTP server never listens itself, it only gets connections from the front.
      server.closeAllConnections();
      if (front.listening) {
        const closed = new Promise<void>((resolve) => front.close(() => resolve()));
        front.closeAll();
        server.closeAllConnections();
        await closed;
      }
    },
  };
}

/** Pipes the agent's log frames to a browser (or API) client until either side closes. */
function relayLogs(client: WebSocket, agentSocket: string): void {
  const upstream = new WebSocket(`ws+unix://${agentSocket}:/app/logs`);
  upstream.on('message', (data) => {
    if (client.readyState === WebSocket.OPEN) client.send(data.toString());
  });
  const closeBoth = (): void => {
    client.close();
    upstream.terminate();
  };
  upstream.on('close', closeBoth);
  upstream.on('error', closeBoth);
  client.on('close', () => upstream.terminate());
  client.on('error', () => upstream.terminate());
}
