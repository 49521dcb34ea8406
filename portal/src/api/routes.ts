import type {} from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { EXEC_MAX_TIMEOUT_MS } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { RateLimiter } from '@codeyard/common/rate-limit';
import type { Accounts } from '../accounts/accounts.js';
import { writeArchive } from '../archive/archive.js';
import { archiveWork } from '../archive/archive-limits.js';
import { ARCHIVE_TYPES, type ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Template } from '../templates/catalog.js';
import { authenticate, checkSameOrigin, credentialsOf, sessionCookie, sessionCookieName } from './auth.js';
import { commonErrors, replIdParams } from './schemas.js';

export interface RouteDeps {
  accounts: Accounts;
  repls: ReplService;
  runtime: Runtime;
  templates: ReadonlyMap<string, Template>;
  portalOrigin: string;
  secureCookies: boolean;
  maxFileBytes: number;
  importMaxBytes: number;
  sessionsPerMinute: number;
}

type IdParams = { id: string };

/** Live status streams one account may hold open (each is a socket and a listener). */
const MAX_EVENT_STREAMS = 8;

/**
 * What POST /api/repls/import takes as its body's type: the archive formats, or plain bytes.
 * Anything else (a form, text/plain) is answered 415: no cross-site form can post an import.
 */
export const IMPORT_TYPES = ['application/gzip', 'application/x-gzip', 'application/zip', 'application/x-zip-compressed', 'application/octet-stream'];

/** Every /api route. Each has a schema; each but session creation needs an account. */
export async function apiRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { repls } = deps;
  // Anonymous accounts cost nothing to make: limit them per client address.
  const sessionLimiter = new RateLimiter({ perMinute: deps.sessionsPerMinute });
  const cookieName = sessionCookieName(deps.secureCookies);

  app.post(
    '/api/session',
    {
      schema: {
        summary: 'Create an anonymous account',
        description: 'Answers a bearer token for every other call, and sets it as the portal cookie for browsers. A browser must call it from the portal origin; no body is needed.',
        tags: ['session'],
        response: { 201: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } }, 429: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      // A cross-site form could otherwise replace a visitor's session (and lose their account).
      checkSameOrigin(request.headers, deps.portalOrigin, false);
      // Two session cookies (one tossed by another host) are refused here too: a new one would not help.
      credentialsOf(request.headers, cookieName);
      const wait = sessionLimiter.take(request.ip);
      if (wait) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `too many new sessions from this address; try again in ${wait} s`);
      }
      const { token } = await deps.accounts.create();
      reply.header('set-cookie', sessionCookie(token, deps.secureCookies));
      return reply.code(201).send({ token });
    },
  );

  // Everything below needs an account.
  await app.register(async (api) => {
    api.addHook('preHandler', authenticate(deps.accounts, deps.portalOrigin, cookieName));

    api.get('/api/stacks', { schema: { summary: 'The stacks a repl can be made from', tags: ['stacks'], response: { 200: { type: 'array', items: { $ref: 'Stack#' } }, ...commonErrors } } }, async () => {
      return Promise.all(
        [...deps.templates.values()].map(async (t) => {
          const availability = await deps.runtime.checkStack(t.manifest);
          return {
            id: t.manifest.id,
            name: t.manifest.name,
            description: t.manifest.description,
            icon: `/stacks/${t.manifest.id}/icon.svg`,
            port: t.manifest.port,
            ...availability,
          };
        }),
      );
    });

    api.get('/api/runtime', { schema: { summary: 'The isolation and limits this host really enforces', tags: ['runtime'], response: { 200: { $ref: 'Runtime#' }, ...commonErrors } } }, async () =>
      deps.runtime.describe(),
    );

    api.get('/api/repls', { schema: { summary: "The account's repls, newest first", tags: ['repls'], response: { 200: { type: 'array', items: { $ref: 'Repl#' } }, ...commonErrors } } }, async (request) => {
      const records = await repls.list(request.account!.id);
      return Promise.all(records.map((r) => repls.view(r)));
    });

    api.post<{ Body: { stack: string; name?: string } }>(
      '/api/repls',
      {
        schema: {
          summary: 'Create a repl from a stack template',
          tags: ['repls'],
          body: {
            type: 'object',
            required: ['stack'],
            additionalProperties: false,
            properties: { stack: { type: 'string', minLength: 1, maxLength: 64 }, name: { type: 'string', minLength: 1, maxLength: 64 } },
          },
          response: { 201: { $ref: 'Repl#' }, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const record = await repls.create(request.account!.id, request.body.stack, request.body.name);
        return reply.code(201).send(await repls.view(record));
      },
    );

    api.get<{ Params: IdParams }>('/api/repls/:id', { schema: { summary: 'One repl', tags: ['repls'], params: replIdParams, response: { 200: { $ref: 'Repl#' }, ...commonErrors } } }, async (request) => {
      return repls.view(await repls.get(request.account!.id, request.params.id));
    });

    api.patch<{ Params: IdParams; Body: { name: string } }>(
      '/api/repls/:id',
      {
        schema: {
          summary: 'Rename a repl',
          tags: ['repls'],
          params: replIdParams,
          body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } },
          response: { 200: { $ref: 'Repl#' }, ...commonErrors },
        },
      },
      async (request) => repls.view(await repls.rename(request.account!.id, request.params.id, request.body.name)),
    );

    // Live status for the dashboard: server-sent events of this account's repls only.
    const streams = new Map<string, number>();
    api.get(
      '/api/events',
      {
        schema: {
          summary: "Server-sent events: `repl` (a Repl, whenever one of the account's repls changes) and `deleted` ({ id })",
          tags: ['repls'],
          produces: ['text/event-stream'],
          response: { 429: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const owner = request.account!.id;
        const open = streams.get(owner) ?? 0;
        if (open >= MAX_EVENT_STREAMS) throw new AppError('RATE_LIMITED', `this account already has ${open} live status streams open; close a tab`);
        streams.set(owner, open + 1);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
        res.write('retry: 2000\n: live\n\n');
        const unwatch = repls.watch(owner, (event) => {
          const data = event.type === 'repl' ? event.repl : { id: event.id };
          res.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
        });
        // Comments keep idle proxies from closing the stream.
        const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
        request.raw.socket.once('close', () => {
          clearInterval(ping);
          unwatch();
          const left = (streams.get(owner) ?? 1) - 1;
          if (left > 0) streams.set(owner, left);
          else streams.delete(owner);
        });
      },
    );

    api.delete<{ Params: IdParams }>('/api/repls/:id', { schema: { summary: 'Delete a repl: runtime and stored files', tags: ['repls'], params: replIdParams, response: { 204: { type: 'null' }, ...commonErrors } } }, async (request, reply) => {
      await repls.remove(request.account!.id, request.params.id);
      return reply.code(204).send();
    });

    api.post<{ Params: IdParams; Body: { name?: string } | undefined }>(
      '/api/repls/:id/fork',
      {
        schema: {
          summary: 'Copy a repl (its latest files; a running repl saves first) into a new repl of the same account',
          tags: ['repls'],
          params: replIdParams,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } },
          response: { 201: { $ref: 'Repl#' }, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const record = await repls.fork(request.account!.id, request.params.id, request.body?.name);
        return reply.code(201).send(await repls.view(record));
      },
    );

    api.get<{ Params: IdParams; Querystring: { format?: 'tar.gz' | 'zip' } }>(
      '/api/repls/:id/archive',
      {
        schema: {
          summary: 'Download the workspace as a tar.gz (default) or zip (a running repl saves first)',
          tags: ['repls'],
          params: replIdParams,
          querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['tar.gz', 'zip'] } } },
        },
      },
      async (request, reply) => {
        const format = request.query.format ?? 'tar.gz';
        // A heavy request: its slot is held until the archive stream ends (archive-limits.ts).
        const release = archiveWork.acquire(request.account!.id);
        try {
          const { record, items } = await repls.archive(request.account!.id, request.params.id);
          const slug = record.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || record.id;
          const archive = writeArchive(items, format).once('close', release);
          return reply
            .type(ARCHIVE_TYPES[format])
            .header('content-disposition', `attachment; filename="${slug}.${format}"`)
            .header('cache-control', 'no-store')
            .send(archive);
        } catch (err) {
          release();
          throw err;
        }
      },
    );

    api.post<{ Params: IdParams }>('/api/repls/:id/start', { schema: { summary: 'Start a repl; answers once it is running', tags: ['repls'], params: replIdParams, response: { 200: { $ref: 'Repl#' }, ...commonErrors } } }, async (request) => {
      return repls.view(await repls.start(request.account!.id, request.params.id));
    });

    api.post<{ Params: IdParams }>('/api/repls/:id/stop', { schema: { summary: 'Stop a repl with its files saved', tags: ['repls'], params: replIdParams, response: { 200: { $ref: 'Repl#' }, ...commonErrors } } }, async (request) => {
      return repls.view(await repls.stop(request.account!.id, request.params.id));
    });

    api.get<{ Params: IdParams }>('/api/repls/:id/app', { schema: { summary: 'State of the Run process', tags: ['run'], params: replIdParams, response: { 200: { $ref: 'AppState#' }, ...commonErrors } } }, async (request) => {
      return repls.app(request.account!.id, request.params.id);
    });

    api.post<{ Params: IdParams }>('/api/repls/:id/app/start', { schema: { summary: 'Run: start the app (and the repl, when stopped)', tags: ['run'], params: replIdParams, response: { 200: { $ref: 'AppState#' }, ...commonErrors } } }, async (request) => {
      return repls.startApp(request.account!.id, request.params.id);
    });

    api.post<{ Params: IdParams }>('/api/repls/:id/app/stop', { schema: { summary: 'Stop the app (SIGTERM, then SIGKILL, to its whole process group)', tags: ['run'], params: replIdParams, response: { 200: { $ref: 'AppState#' }, ...commonErrors } } }, async (request) => {
      return repls.stopApp(request.account!.id, request.params.id);
    });

    api.post<{ Params: IdParams; Body: { command: string; timeoutMs?: number } }>(
      '/api/repls/:id/exec',
      {
        schema: {
          summary: 'Run a one-off shell command in the workspace',
          tags: ['run'],
          params: replIdParams,
          body: {
            type: 'object',
            required: ['command'],
            additionalProperties: false,
            properties: { command: { type: 'string', minLength: 1, maxLength: 16384 }, timeoutMs: { type: 'integer', minimum: 1, maximum: EXEC_MAX_TIMEOUT_MS } },
          },
          response: { 200: { $ref: 'ExecResult#' }, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request) => repls.exec(request.account!.id, request.params.id, request.body),
    );

    api.post<{ Params: IdParams; Body: { port?: number } | undefined }>(
      '/api/repls/:id/ide-link',
      {
        schema: {
          summary: 'A single-use link that opens the IDE (or, with port, a private preview) in a browser',
          tags: ['repls'],
          params: replIdParams,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } } },
          response: { 200: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }, ...commonErrors },
        },
      },
      async (request) => ({ url: await repls.ideLink(request.account!.id, request.params.id, { port: request.body?.port }) }),
    );

    api.patch<{ Params: IdParams & { port: number }; Body: { visibility: 'public' | 'private' } }>(
      '/api/repls/:id/ports/:port',
      {
        schema: {
          summary: 'Make a preview port public (anyone with the URL) or private (the owner, through a ticket)',
          tags: ['repls'],
          params: { type: 'object', required: ['id', 'port'], properties: { ...replIdParams.properties, port: { type: 'integer', minimum: 1, maximum: 65535 } } },
          body: { type: 'object', required: ['visibility'], additionalProperties: false, properties: { visibility: { type: 'string', enum: ['public', 'private'] } } },
          response: { 200: { type: 'object', required: ['port', 'visibility'], properties: { port: { type: 'integer' }, visibility: { type: 'string' } } }, ...commonErrors },
        },
      },
      async (request) => repls.setPortVisibility(request.account!.id, request.params.id, request.params.port, request.body.visibility),
    );

    api.get<{ Params: IdParams; Querystring: { dir?: string } }>(
      '/api/repls/:id/files',
      {
        schema: {
          summary: 'List a directory of the workspace',
          tags: ['files'],
          params: replIdParams,
          querystring: { type: 'object', properties: { dir: { type: 'string', maxLength: 900 } } },
          response: { 200: { type: 'array', items: { $ref: 'FileEntry#' } }, ...commonErrors },
        },
      },
      async (request) => repls.listFiles(request.account!.id, request.params.id, request.query.dir ?? ''),
    );

    const fileParams = { type: 'object', required: ['id', '*'], properties: { ...replIdParams.properties, '*': { type: 'string', description: 'workspace-relative file path' } } } as const;
    type FileParams = { id: string; '*': string };

    api.get<{ Params: FileParams }>('/api/repls/:id/files/*', { schema: { summary: 'Read a file', tags: ['files'], params: fileParams } }, async (request, reply) => {
      const body = await repls.readFile(request.account!.id, request.params.id, request.params['*']);
      return reply.type('application/octet-stream').header('x-content-type-options', 'nosniff').send(body);
    });

    // Files are written as sent, whatever their content type: this scope parses no JSON.
    await api.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxFileBytes }, (_request, body, done) => done(null, body));
      const written = { type: 'object', properties: { path: { type: 'string' }, created: { type: 'boolean' } } } as const;
      raw.put<{ Params: FileParams; Body: Buffer | undefined }>(
        '/api/repls/:id/files/*',
        { bodyLimit: deps.maxFileBytes, schema: { summary: 'Write a file (created with its parent directories)', tags: ['files'], params: fileParams, response: { 200: written, 201: written, ...commonErrors } } },
        async (request, reply) => {
          const { created } = await repls.writeFile(request.account!.id, request.params.id, request.params['*'], request.body ?? Buffer.alloc(0));
          return reply.code(created ? 201 : 200).send({ path: request.params['*'], created });
        },
      );
    });

    // An archive upload: raw bytes of an archive type (IMPORT_TYPES), up to the import limit.
    await api.register(async (raw) => {
      // Before the body is read (the parent's checks run after it): whoever sends up to the
      // import limit must be signed in and within the account's share of heavy requests.
      const signedIn = authenticate(deps.accounts, deps.portalOrigin, cookieName);
      raw.addHook('onRequest', async (request, reply) => {
        await signedIn(request, reply);
        reply.raw.once('close', archiveWork.acquire(request.account!.id));
      });
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser(IMPORT_TYPES, { parseAs: 'buffer', bodyLimit: deps.importMaxBytes }, (_request, body, done) => done(null, body));
      raw.post<{ Querystring: { stack: string; name?: string }; Body: Buffer | undefined }>(
        '/api/repls/import',
        {
          bodyLimit: deps.importMaxBytes,
          schema: {
            summary: `Create a repl from an uploaded tar.gz or zip (the body, as ${IMPORT_TYPES.join(', ')}); paths are checked, links may not leave it, sizes and counts are limited`,
            tags: ['repls'],
            querystring: {
              type: 'object',
              required: ['stack'],
              additionalProperties: false,
              properties: { stack: { type: 'string', minLength: 1, maxLength: 64 }, name: { type: 'string', minLength: 1, maxLength: 64 } },
            },
            response: { 201: { $ref: 'Repl#' }, 409: { $ref: 'Error#' }, 413: { $ref: 'Error#' }, ...commonErrors },
          },
        },
        async (request, reply) => {
          if (!request.body?.length) throw new AppError('INVALID_ARCHIVE', 'the request body is empty; send the archive (tar.gz or zip) as the body');
          const record = await repls.importArchive(request.account!.id, request.body!, request.query.stack, request.query.name);
          return reply.code(201).send(await repls.view(record));
        },
      );
    });

    api.delete<{ Params: FileParams }>('/api/repls/:id/files/*', { schema: { summary: 'Delete a file or directory', tags: ['files'], params: fileParams, response: { 204: { type: 'null' }, ...commonErrors } } }, async (request, reply) => {
      await repls.deleteFile(request.account!.id, request.params.id, request.params['*']);
      return reply.code(204).send();
    });
  });
}
