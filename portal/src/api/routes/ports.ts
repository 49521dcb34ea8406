import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PortSettingSchema } from '@codeyard/common/api/models';
import { PortParams, PortVisibilityBody } from '@codeyard/common/api/requests';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors } from '../schemas.js';

/** /api/repls/:id/ports/:port: who may open a preview port (behind the auth hook). */
export const portRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls }) => {
  app.patch(
    '/api/repls/:id/ports/:port',
    {
      schema: {
        summary: 'Make a preview port public (anyone with the URL) or private (the owner, through a ticket)',
        tags: ['repls'],
        params: PortParams,
        body: PortVisibilityBody,
        response: { 200: PortSettingSchema, ...commonErrors },
      },
    },
    async (request) => repls.setPortVisibility(accountOf(request).id, request.params.id, request.params.port, request.body.visibility),
  );
};
