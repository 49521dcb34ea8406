import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AdminLimitsBody, AdminPasswordBody, AdminUserChangeBody, AdminUserSchema, AdminUsersQuery, AdminUsersReply, ServerSettingsReply } from '@codeyard/common/api/admin';
import { AccountIdParams } from '@codeyard/common/api/requests';
import { seenFrom } from '../../audit/request-actor.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

const adminErrors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply } as const;

/**
 * /api/admin/users and /api/admin/settings: the accounts of this server (role, disabled, repls,
 * last sign-in, always-on allowance, limits), their changes, and the settings in effect (read only).
 * Who may call: api/admin-auth.ts, for all of /api/admin/.
 */
export const adminUserRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { adminUsers, audit, serverSettings }) => {
  app.get(
    '/api/admin/users',
    { schema: { summary: 'The accounts of this server, oldest first, with their repls, last sign-in and always-on allowance', tags: ['admin'], querystring: AdminUsersQuery, response: { 200: AdminUsersReply, ...adminErrors } } },
    async (request) => adminUsers.list({ q: request.query.q, anonymous: request.query.anonymous, limit: request.query.limit ?? 100, offset: request.query.offset ?? 0 }),
  );

  app.get(
    '/api/admin/users/:id',
    { schema: { summary: 'One account as the admin page shows it', tags: ['admin'], params: AccountIdParams, response: { 200: AdminUserSchema, ...adminErrors } } },
    async (request) => adminUsers.get(request.params.id),
  );

  app.patch(
    '/api/admin/users/:id',
    {
      schema: {
        summary: "Changes an account's role, or disables (signed out everywhere at once, its repls stopped) or enables it",
        description: 'Refused with 409 LAST_ADMIN when it would leave the server without an enabled admin.',
        tags: ['admin'],
        params: AccountIdParams,
        body: AdminUserChangeBody,
        response: { 200: AdminUserSchema, ...adminErrors, 409: errorReply },
      },
    },
    async (request) => {
      const id = request.params.id;
      const result = await adminUsers.change(id, request.body);
      const seen = seenFrom(request);
      const target = { type: 'account' as const, id, account: id };
      if (result.role) await audit.record({ kind: 'admin.role', ...seen, target, details: { from: result.role.from, to: result.role.to } });
      if (result.disabled !== undefined) {
        await audit.record({ kind: result.disabled ? 'admin.disable' : 'admin.enable', ...seen, target, details: result.stopped?.length ? { stoppedRepls: result.stopped } : {} });
      }
      return result.user;
    },
  );

  app.put(
    '/api/admin/users/:id/password',
    {
      schema: {
        summary: "Sets an account's password (it is signed out of every browser); for accounts that sign in with their address",
        tags: ['admin'],
        params: AccountIdParams,
        body: AdminPasswordBody,
        response: { 200: AdminUserSchema, ...adminErrors, 409: errorReply },
      },
    },
    async (request) => {
      const user = await adminUsers.setPassword(request.params.id, request.body.password);
      await audit.record({ kind: 'admin.password', ...seenFrom(request), target: { type: 'account', id: user.id, account: user.id } });
      return user;
    },
  );

  app.put(
    '/api/admin/users/:id/limits',
    {
      schema: {
        summary: "Sets an account's own limits: repls it may have, repls it may run at once (null: the server's default again; fields left out stay)",
        tags: ['admin'],
        params: AccountIdParams,
        body: AdminLimitsBody,
        response: { 200: AdminUserSchema, ...adminErrors },
      },
    },
    async (request) => {
      const user = await adminUsers.setLimits(request.params.id, request.body);
      await audit.record({ kind: 'admin.limits', ...seenFrom(request), target: { type: 'account', id: user.id, account: user.id }, details: { set: request.body, limits: { repls: user.limits.repls.value, running: user.limits.running.value } } });
      return user;
    },
  );

  app.get(
    '/api/admin/settings',
    { schema: { summary: 'Every setting in effect (read only; secrets redacted), with its variables and defaults', tags: ['admin'], response: { 200: ServerSettingsReply, 401: errorReply, 403: errorReply } } },
    async () => ({ settings: serverSettings() }),
  );
};
