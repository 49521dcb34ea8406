import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FileEntrySchema, ref } from '@codeyard/common/api/models';
import { FileParams, FilesQuery, FileWrittenReply, ReplIdParams } from '@codeyard/common/api/requests';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors } from '../schemas.js';

/** /api/repls/:id/files: the live workspace while the repl runs, the stored copy while stopped (behind the auth hook). */
export const fileRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  const { repls } = deps;
  app.get(
    '/api/repls/:id/files',
    { schema: { summary: 'List a directory of the workspace', tags: ['files'], params: ReplIdParams, querystring: FilesQuery, response: { 200: Type.Array(ref(FileEntrySchema)), ...commonErrors } } },
    async (request) => repls.files.list(accountOf(request).id, request.params.id, request.query.dir ?? ''),
  );

  app.get('/api/repls/:id/files/*', { schema: { summary: 'Read a file', tags: ['files'], params: FileParams } }, async (request, reply) => {
    const body = await repls.files.read(accountOf(request).id, request.params.id, request.params['*']);
    return reply.type('application/octet-stream').header('x-content-type-options', 'nosniff').send(body);
  });

  app.delete('/api/repls/:id/files/*', { schema: { summary: 'Delete a file or directory', tags: ['files'], params: FileParams, response: { 204: Type.Null(), ...commonErrors } } }, async (request, reply) => {
    await repls.files.delete(accountOf(request).id, request.params.id, request.params['*']);
    return reply.code(204).send(null);
  });

  // Files are written as sent, whatever their content type: this scope parses no JSON.
  const rawBodies: FastifyPluginAsyncTypebox = async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxFileBytes }, (_request, body, done) => done(null, body));
    raw.put(
      '/api/repls/:id/files/*',
      {
        bodyLimit: deps.maxFileBytes,
        schema: { summary: 'Write a file (created with its parent directories)', tags: ['files'], params: FileParams, response: { 200: FileWrittenReply, 201: FileWrittenReply, ...commonErrors } },
      },
      async (request, reply) => {
        const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
        const { created } = await repls.files.write(accountOf(request).id, request.params.id, request.params['*'], body);
        return reply.code(created ? 201 : 200).send({ path: request.params['*'], created });
      },
    );
  };
  await app.register(rawBodies);
};
