import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthOptionsReply, InviteInfoReply, InviteQuery, MeReply, OwnerClaimBody, SignInBody, SignUpBody } from '@codeyard/common/api/auth';
import { AppError } from '@codeyard/common/errors';
import { Type } from 'typebox';
import type { Account } from '../../accounts/accounts.js';
import { effectiveSignup, signUp } from '../../accounts/sign-up.js';
import { checkSameOrigin, clearedSessionCookie, credentialsOf, sessionCookie, sessionCookieName } from '../auth.js';
import type { ApiContext } from '../context.js';
import { errorReply } from '../schemas.js';
import { meView } from './me.js';

const signInOff = (): AppError => new AppError('FORBIDDEN', 'this server has no sign-in: it runs with CODEYARD_AUTH=anonymous, where every browser gets an account of its own');
/** How a browser signed in, as the audit log says it. */
export type SignInMethod = 'password' | 'signup' | 'owner link' | 'oidc' | 'join link';

const refusals = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 429: errorReply };

/**
 * Signs this browser in as `account`, the one way every sign-in ends (password, sign-up, owner
 * link, OpenID Connect): a new session, the one the browser came with (`previous`) revoked, the
 * cookie set, and a `signin` event in the audit log with the method and `details` (an OpenID
 * sign-in names its provider). Answers the new session's id (for events that follow). The owner's first sign-in adopts anonymous repls before this
 * (OwnerLink.claim: only the owner link can make the owner).
 */
export async function startBrowserSession(
  deps: Pick<ApiContext, 'sessions' | 'secureCookies' | 'signinTtlMs' | 'audit'>,
  request: FastifyRequest,
  reply: FastifyReply,
  account: Account,
  how: { previous: string | undefined; method: SignInMethod; details?: Record<string, unknown> },
): Promise<{ sessionId: string }> {
  if (how.previous) await deps.sessions.revokeToken(how.previous);
  const { token, session } = await deps.sessions.create(account, { userAgent: request.headers['user-agent'], address: request.ip });
  await deps.audit.record({ kind: 'signin', actor: { accountId: account.id, credential: { kind: 'session', id: session.id } }, address: request.ip, details: { method: how.method, ...how.details } });
  reply.header('set-cookie', sessionCookie(token, deps.secureCookies, Math.floor(deps.signinTtlMs / 1000)));
  reply.header('cache-control', 'no-store');
  request.log.info({ account: account.id, address: request.ip, method: how.method }, 'signed in');
  return { sessionId: session.id };
}

/**
 * Signing in and out (no account needed to call them; they make sessions). Every route that
 * changes something refuses a browser request from another origin, sign-in and sign-up
 * included: a cross-site page must not sign a visitor in to an account of its choosing (login
 * CSRF). Each sign-in makes a brand-new session and revokes the one the browser had, so no
 * cookie set before sign-in is ever the signed-in one (session fixation).
 */
export const authRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, deps) => {
  const cookieName = sessionCookieName(deps.secureCookies);

  /**
   * Refuses a browser request from anywhere but the portal's own pages, first thing (before the
   * body is read or checked): these routes take no cookie to act, yet must not be a cross-site
   * page's to call.
   */
  const sameOriginOnly = async (request: FastifyRequest): Promise<void> => checkSameOrigin(request.headers, deps.portalOrigin, false);
  /** The session token the browser came with, if any (two session cookies are refused here too). */
  const previousToken = (request: FastifyRequest): string | undefined => credentialsOf(request.headers, cookieName).token;
  const startSession = (request: FastifyRequest, reply: FastifyReply, account: Account, previous: string | undefined, method: SignInMethod): Promise<void> =>
    startBrowserSession(deps, request, reply, account, { previous, method }).then(() => undefined);

  app.get(
    '/api/auth/options',
    { schema: { summary: 'How people sign in here: the mode and who may sign up (no session needed)', tags: ['auth'], security: [], response: { 200: AuthOptionsReply } } },
    async () => ({ authMode: deps.authMode, signup: effectiveSignup(deps.authMode, deps.signup), providers: deps.authMode === 'anonymous' ? [] : (deps.oidcProviders ?? []) }),
  );

  app.post(
    '/api/auth/signin',
    {
      onRequest: sameOriginOnly,
      schema: {
        summary: 'Sign in with email and password: sets a new session cookie',
        description: 'Rate-limited per client address and per account. A browser must call it from the portal origin.',
        tags: ['auth'],
        security: [],
        body: SignInBody,
        response: { 200: MeReply, ...refusals },
      },
    },
    async (request, reply) => {
      if (deps.authMode === 'anonymous') throw signInOff();
      const previous = previousToken(request);
      const { email, password } = request.body;
      deps.signInLimits.signIn(request.ip, email);
      const account = await deps.accounts.checkPassword(email, password);
      if (!account || account.disabled) {
        // Who was tried, from where: the address as typed (it may name no account), never the password.
        await deps.audit.record({ kind: 'signin.failed', ...(account ? { target: { type: 'account', id: account.id, account: account.id } } : {}), address: request.ip, details: { method: 'password', email, reason: account ? 'disabled' : 'wrong email or password' } });
      }
      if (!account) {
        request.log.info({ address: request.ip }, 'sign-in refused: wrong email or password');
        throw new AppError('UNAUTHENTICATED', 'the email or password is wrong: check both and try again (an admin can set a new password)');
      }
      if (account.disabled) throw new AppError('FORBIDDEN', 'this account is disabled: ask an admin of this server');
      await startSession(request, reply, account, previous, 'password');
      return meView(account, deps.authMode);
    },
  );

  app.post(
    '/api/auth/signup',
    {
      onRequest: sameOriginOnly,
      schema: {
        summary: 'Make an account (open sign-up, or with an invite) and sign in',
        description: 'CODEYARD_SIGNUP says who may: open, invite (with an invite token from an invite link) or closed. Rate-limited per client address.',
        tags: ['auth'],
        security: [],
        body: SignUpBody,
        response: { 201: MeReply, ...refusals },
      },
    },
    async (request, reply) => {
      const previous = previousToken(request);
      deps.signInLimits.signUp(request.ip);
      const account = await signUp(request.body, deps);
      request.log.info({ account: account.id, role: account.role, invited: request.body.invite !== undefined }, 'account made');
      await startSession(request, reply, account, previous, 'signup');
      return reply.code(201).send(meView(account, deps.authMode));
    },
  );

  app.post(
    '/api/auth/signout',
    {
      schema: {
        summary: "Sign out: revokes this browser's session and removes its cookie",
        description: 'Cookie only, from the portal origin. An API token is revoked with its own route instead.',
        tags: ['auth'],
        security: [],
        response: { 204: Type.Null(), 400: errorReply, 403: errorReply },
      },
    },
    async (request, reply) => {
      const { token, viaCookie } = credentialsOf(request.headers, cookieName);
      if (!viaCookie) throw new AppError('BAD_REQUEST', 'sign-out ends a browser session (the cookie); an API token is revoked with DELETE /api/tokens/current');
      checkSameOrigin(request.headers, deps.portalOrigin, true);
      const signedIn = await deps.sessions.resolve(token);
      if (signedIn && (await deps.sessions.revokeToken(token))) {
        request.log.info({}, 'signed out');
        await deps.audit.record({ kind: 'signout', actor: { accountId: signedIn.account.id, credential: { kind: 'session', id: signedIn.session.id } }, address: request.ip });
      }
      return reply.code(204).header('set-cookie', clearedSessionCookie(deps.secureCookies)).header('cache-control', 'no-store').send(null);
    },
  );

  app.post(
    '/api/auth/owner',
    {
      onRequest: sameOriginOnly,
      schema: {
        summary: "Sign in with the owner link's code (owner mode): the first time, this browser becomes the owner",
        description: 'The page at /auth/owner?code=… calls it. The code works once.',
        tags: ['auth'],
        security: [],
        body: OwnerClaimBody,
        response: { 200: MeReply, ...refusals },
      },
    },
    async (request, reply) => {
      if (deps.authMode !== 'owner') throw new AppError('FORBIDDEN', `owner links work only with CODEYARD_AUTH=owner; this server runs with CODEYARD_AUTH=${deps.authMode}: sign in at ${deps.portalOrigin}/signin`);
      const previous = previousToken(request);
      deps.signInLimits.signIn(request.ip);
      let claimed: Awaited<ReturnType<typeof deps.owner.claim>>;
      try {
        claimed = await deps.owner.claim(request.body.code);
      } catch (err) {
        await deps.audit.record({ kind: 'signin.failed', address: request.ip, details: { method: 'owner link', reason: err instanceof AppError ? err.code : 'error' } });
        throw err;
      }
      const { account, adopted } = claimed;
      if (adopted.length) request.log.info({ account: account.id, adopted }, 'owner adopted the repls of anonymous accounts');
      await startSession(request, reply, account, previous, 'owner link');
      return meView(account, deps.authMode);
    },
  );

  app.get(
    '/api/auth/invite',
    {
      schema: {
        summary: 'What an invite link is for (its address, if it names one) while it can still be used',
        tags: ['auth'],
        security: [],
        querystring: InviteQuery,
        response: { 200: InviteInfoReply, 400: errorReply, 404: errorReply },
      },
    },
    async (request, reply) => {
      const invite = await deps.invites.lookup(request.query.invite);
      reply.header('cache-control', 'no-store');
      return { email: invite.email ?? null, expiresAt: new Date(invite.expiresAt).toISOString() };
    },
  );
};
