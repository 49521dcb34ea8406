import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref, ServerSchema } from '@codeyard/common/api/models';
import { AccountIdParams, AlwaysOnAllowanceBody, AlwaysOnAllowanceReply } from '@codeyard/common/api/requests';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

/**
 * /api/admin/*: what the whole server holds, across accounts. The admin token is checked by
 * api/admin-auth.ts for every path under /api/admin/ (nothing to add here for a new route).
 */
export const adminRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, runtime, alwaysOn }) => {
  app.get(
    '/api/admin/server',
    { schema: { summary: 'What this server holds: every running repl of every account (admin token)', tags: ['admin'], response: { 200: ref(ServerSchema), 401: errorReply, 403: errorReply } } },
    async () => {
      const running = [];
      for (const id of runtime.active()) {
        const record = await repls.record(id);
        if (record) running.push({ id, owner: record.owner, name: record.name, stack: record.stack, status: runtime.status(id).state });
      }
      return { runtime: runtime.name, repls: running };
    },
  );

  app.put(
    '/api/admin/accounts/:id/always-on',
    {
      schema: {
        summary: "Sets an account's always-on allowance: how many repls it may keep always on (admin token)",
        tags: ['admin'],
        params: AccountIdParams,
        body: AlwaysOnAllowanceBody,
        response: { 200: AlwaysOnAllowanceReply, 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => alwaysOn.setAllowance(request.params.id, request.body.allowance),
  );

  app.delete(
    '/api/admin/accounts/:id/always-on',
    {
      schema: {
        summary: "Gives an account the default always-on allowance again (CODEYARD_ALWAYS_ON_PER_ACCOUNT) (admin token)",
        tags: ['admin'],
        params: AccountIdParams,
        response: { 200: AlwaysOnAllowanceReply, 401: errorReply, 403: errorReply, 404: errorReply },
      },
    },
    async (request) => alwaysOn.setAllowance(request.params.id, null),
  );
};
