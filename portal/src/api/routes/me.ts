import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type AuthMode, type Me, MeReply } from '@codeyard/common/api/auth';
import type { Account } from '../../accounts/accounts.js';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { commonErrors } from '../schemas.js';

/** An account as GET /api/me (and the sign-in routes) show it. */
export function meView(account: Account, authMode: AuthMode): Me {
  return { id: account.id, email: account.email ?? null, name: account.name ?? null, role: account.role, anonymous: account.anonymous, authMode };
}

/** GET /api/me: who is signed in (behind the auth hook: 401 says how to sign in). */
export const meRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { authMode, repls }) => {
  app.get(
    '/api/me',
    { schema: { summary: 'The signed-in account', tags: ['auth'], response: { 200: MeReply, ...commonErrors } } },
    async (request) => {
      const account = accountOf(request);
      // The account's own limits where the admin set them, so the dashboard counts against those.
      return { ...meView(account, authMode), limits: await repls.accountLimits(account.id) };
    },
  );
};
