import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref, ReplSchema } from '@codeyard/common/api/models';
import { ArchiveQuery, IMPORT_TYPES, ImportQuery, ReplIdParams } from '@codeyard/common/api/requests';
import { AppError } from '@codeyard/common/errors';
import { writeArchive } from '../../archive/archive.js';
import { archiveWork } from '../../archive/archive-limits.js';
import { ARCHIVE_TYPES } from '../../repls/repl-service.js';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors, errorReply } from '../schemas.js';

/** A workspace as a download, and a repl made from an uploaded archive (behind the auth hook). */
export const archiveRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  const { repls } = deps;
  app.get(
    '/api/repls/:id/archive',
    { schema: { summary: 'Download the workspace as a tar.gz (default) or zip (a running repl saves first)', tags: ['repls'], params: ReplIdParams, querystring: ArchiveQuery } },
    async (request, reply) => {
      const format = request.query.format ?? 'tar.gz';
      const owner = accountOf(request).id;
      // A heavy request: its slot is held until the archive stream ends (archive-limits.ts).
      const release = archiveWork.acquire(owner);
      try {
        const { record, items } = await repls.archive(owner, request.params.id);
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

  // An archive upload: raw bytes of an archive type (IMPORT_TYPES), up to the import limit.
  const uploads: FastifyPluginAsyncTypebox = async (raw) => {
    // Before the body is read (the scope's own check runs after it): whoever sends up to the
    // import limit must be signed in and within the account's share of heavy requests.
    raw.addHook('onRequest', async (request, reply) => {
      await raw.authenticate(request);
      reply.raw.once('close', archiveWork.acquire(accountOf(request).id));
    });
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser(IMPORT_TYPES, { parseAs: 'buffer', bodyLimit: deps.importMaxBytes }, (_request, body, done) => done(null, body));
    raw.post(
      '/api/repls/import',
      {
        bodyLimit: deps.importMaxBytes,
        schema: {
          summary: `Create a repl from an uploaded tar.gz or zip (the body, as ${IMPORT_TYPES.join(', ')}); paths are checked, links may not leave it, sizes and counts are limited`,
          tags: ['repls'],
          querystring: ImportQuery,
          response: { 201: ref(ReplSchema), 409: errorReply, 413: errorReply, ...commonErrors },
        },
      },
      async (request, reply) => {
        const body = request.body instanceof Buffer ? request.body : undefined;
        if (!body?.length) throw new AppError('INVALID_ARCHIVE', 'the request body is empty; send the archive (tar.gz or zip) as the body');
        const record = await repls.importArchive(accountOf(request).id, body, request.query.stack, request.query.name);
        return reply.code(201).send(await repls.view(record));
      },
    );
  };
  await app.register(uploads);
};
