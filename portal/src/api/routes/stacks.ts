import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ref, StackSchema } from '@codeyard/common/api/models';
import { AppError } from '@codeyard/common/errors';
import type { ApiContext } from '../context.js';
import { commonErrors } from '../schemas.js';

/** GET /api/stacks: the stacks a repl can be made from, with whether this host can run each. */
export const stackRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  app.get('/api/stacks', { schema: { summary: 'The stacks a repl can be made from', tags: ['stacks'], response: { 200: Type.Array(ref(StackSchema)), ...commonErrors } } }, async () => {
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
};

/** GET /stacks/:stack/icon.svg: the stack's icon, for pages (no account needed; it is the template's). */
export const stackIcons: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  app.get('/stacks/:stack/icon.svg', { schema: { hide: true, params: Type.Object({ stack: Type.String() }) } }, async (request, reply) => {
    const template = deps.templates.get(request.params.stack);
    if (!template) throw new AppError('NOT_FOUND', `no stack ${request.params.stack}`);
    const svg = await readFile(`${template.dir}/${template.manifest.icon}`);
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=3600').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(svg);
  });
};
