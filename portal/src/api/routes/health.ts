import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref, RuntimeSchema } from '@codeyard/common/api/models';
import type { ApiContext } from '../context.js';
import { commonErrors } from '../schemas.js';

/** GET /api/runtime: the isolation and limits this host really enforces (for signed-in callers). */
export const runtimeRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  app.get('/api/runtime', { schema: { summary: 'The isolation and limits this host really enforces', tags: ['runtime'], response: { 200: ref(RuntimeSchema), ...commonErrors } } }, async () =>
    deps.runtime.describe(),
  );
};

/** GET /healthz: that the portal answers, and with which drivers (for load balancers; no account). */
export const healthRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true, runtime: deps.runtime.name, store: deps.store.name }));
};
