import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SessionReply } from '@codeyard/common/api/requests';
import { AppError } from '@codeyard/common/errors';
import { RateLimiter } from '@codeyard/common/rate-limit';
import { checkSameOrigin, credentialsOf, sessionCookie, sessionCookieName } from '../auth.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';

/** POST /api/session: anonymous mode's way in (it makes an account). */
export const sessionRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  // Anonymous accounts cost nothing to make: limit them per client address.
  const sessionLimiter = new RateLimiter({ perMinute: deps.sessionsPerMinute });
  const cookieName = sessionCookieName(deps.secureCookies);

  app.post(
    '/api/session',
    {
      schema: {
        summary: 'Create an anonymous account (CODEYARD_AUTH=anonymous only)',
        description: 'Answers a bearer token for every other call, and sets it as the portal cookie for browsers. A browser must call it from the portal origin; no body is needed. Refused (403) unless the server runs in anonymous mode.',
        tags: ['session'],
        response: { 201: SessionReply, 403: errorReply, 429: errorReply },
      },
    },
    async (request, reply) => {
      if (deps.authMode !== 'anonymous') {
        throw new AppError('FORBIDDEN', `this server has no anonymous accounts (CODEYARD_AUTH=${deps.authMode}): sign in at ${deps.portalOrigin}/signin`);
      }
      // A cross-site form could otherwise replace a visitor's session (and lose their account).
      checkSameOrigin(request.headers, deps.portalOrigin, false);
      // Two session cookies (one tossed by another host) are refused here too: a new one would not help.
      credentialsOf(request.headers, cookieName);
      const wait = sessionLimiter.take(request.ip);
      if (wait) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `too many new sessions from this address; try again in ${wait} s`);
      }
      const { token, account } = await deps.accounts.create();
      await deps.audit.record({ kind: 'signin', actor: { accountId: account.id, credential: { kind: 'legacy', id: account.id } }, address: request.ip, details: { method: 'anonymous', newAccount: true } });
      reply.header('set-cookie', sessionCookie(token, deps.secureCookies));
      return reply.code(201).send({ token });
    },
  );
};
