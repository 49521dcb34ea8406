import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateInviteBody, InviteReply } from '@codeyard/common/api/auth';
import { AppError } from '@codeyard/common/errors';
import { emailProblem } from '../../accounts/accounts.js';
import { effectiveSignup } from '../../accounts/sign-up.js';
import { requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

const DAY_MS = 24 * 3600_000;

/** POST /api/invites: an admin or teacher invites someone; the new account is a member. */
export const inviteRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { accounts, invites, authMode, signup }) => {
  app.post(
    '/api/invites',
    {
      schema: {
        summary: 'Invite someone to sign up (admins and teachers): a link that works once, for one address or for whoever holds it',
        tags: ['auth'],
        body: CreateInviteBody,
        response: { 201: InviteReply, 400: errorReply, 401: errorReply, 403: errorReply, 409: errorReply },
      },
    },
    async (request, reply) => {
      if (authMode === 'anonymous') throw new AppError('FORBIDDEN', 'this server has no invites: it runs with CODEYARD_AUTH=anonymous, where every browser gets an account of its own');
      if (effectiveSignup(authMode, signup) === 'closed') throw new AppError('FORBIDDEN', 'sign-up is closed on this server (CODEYARD_SIGNUP=closed), so an invite could not be used');
      const inviter = requireRole(request, ['admin', 'teacher'], 'invite people');
      const { email, expiresInDays } = request.body;
      if (email !== undefined) {
        const problem = emailProblem(email);
        if (problem) throw new AppError('VALIDATION', problem);
        if (await accounts.byEmail(email)) throw new AppError('CONFLICT', `${email.trim()} has an account here already`);
      }
      const { url, invite } = await invites.create({ createdBy: inviter.id, role: 'member', ...(email !== undefined ? { email } : {}), ttlMs: (expiresInDays ?? 7) * DAY_MS });
      request.log.info({ invite: invite.id, by: inviter.id }, 'invite made');
      return reply.code(201).send({ id: invite.id, url, email: invite.email ?? null, role: invite.role, expiresAt: new Date(invite.expiresAt).toISOString() });
    },
  );
};
