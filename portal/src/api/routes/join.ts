import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { JoinBody, JoinInfoQuery, JoinInfoReply, JoinReply, JoinSignUpBody } from '@codeyard/common/api/classes';
import { AppError, describeError } from '@codeyard/common/errors';
import type { Account } from '../../accounts/accounts.js';
import { effectiveSignup } from '../../accounts/sign-up.js';
import type { Audit } from '../../audit/audit.js';
import { bindRow, rowOfLink } from '../../classes/class-join.js';
import type { ClassRecord, StudentRecord } from '../../db/class-repository.js';
import { accountOf, checkSameOrigin, credentialsOf, sessionCookieName } from '../auth.js';
import { errorReply } from '../schemas.js';
import { startBrowserSession } from './auth.js';
import type { ClassRouteContext } from './classes.js';

const refusals = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 429: errorReply };

/** Whether someone without an account may make one through a join link here: the link is the invite, unless sign-up is closed. */
function signupThroughLink(deps: Pick<ClassRouteContext, 'authMode' | 'signup'>): boolean {
  return deps.authMode !== 'anonymous' && effectiveSignup(deps.authMode, deps.signup) !== 'closed';
}

async function recordJoin(audit: Audit, request: FastifyRequest, account: Account, joined: { klass: ClassRecord; student: StudentRecord }, how: 'link' | 'code' | 'signup'): Promise<void> {
  await audit.record({
    kind: 'class.join',
    actor: { accountId: account.id, ...(request.credential ? { credential: { kind: request.credential.kind, id: request.credential.id } } : {}) },
    target: { type: 'class', id: joined.klass.id, account: joined.klass.teacher },
    address: request.ip,
    details: { studentId: joined.student.id, replId: joined.student.replId, how },
  });
}

/**
 * Joining a class, the parts no account is needed for: what a link is for (the join page), and
 * making an account through a link (it acts as the invite, even with CODEYARD_SIGNUP=invite). The
 * link's secret is the credential; sign-up refuses cross-site browser calls like sign-up itself.
 */
export const joinPublicRoutes: FastifyPluginAsyncTypebox<ClassRouteContext> = async (app, deps) => {
  app.get('/api/join/info', { schema: { summary: 'What a join link is for (no session needed: the link is the credential)', tags: ['classes'], security: [], querystring: JoinInfoQuery, response: { 200: JoinInfoReply, ...refusals } } }, async (request, reply) =>
    reply.header('cache-control', 'no-store').send(await deps.classes.info(request.query.link, signupThroughLink(deps))),
  );

  app.post(
    '/api/join/signup',
    {
      onRequest: async (request) => checkSameOrigin(request.headers, deps.portalOrigin, false),
      schema: { summary: 'Make an account through a join link, join the class and sign in', tags: ['classes'], security: [], body: JoinSignUpBody, response: { 201: JoinReply, ...refusals } },
    },
    async (request, reply) => {
      if (!signupThroughLink(deps)) throw new AppError('FORBIDDEN', 'sign-up is closed on this server: sign in with an account an admin made for you, then open the link again');
      deps.signInLimits.signUp(request.ip);
      const { student, klass } = await rowOfLink({ classes: deps.classes.repository }, request.body.link);
      if (student.accountId) throw new AppError('LINK_TAKEN', 'another account has already joined with this link: ask your teacher for a new link');
      if (student.email && student.email.toLowerCase() !== request.body.email.trim().toLowerCase()) {
        throw new AppError('FORBIDDEN', `this join link is for ${student.email}: sign up with that address`);
      }
      // The link reached the roster's address, as a verification mail would have.
      const account = await deps.accounts.createUser({ email: request.body.email, emailVerified: student.email !== undefined, name: request.body.name, password: request.body.password, role: 'member' });
      // Sign-up and bind are one unit: another sign-up may have bound the link since the check
      // above (409 LINK_TAKEN), and then the account made for it is taken back, never left behind.
      const joined = await bindRow(deps.classes.provisionDeps, klass, student, account).catch(async (err: unknown) => {
        await deps.accounts.repository.deleteUnused(account.id).catch((cleanup: unknown) => request.log.error({ accountId: account.id, err: describeError(cleanup) }, 'could not take back an account whose join failed'));
        throw err;
      });
      const previous = credentialsOf(request.headers, sessionCookieName(deps.secureCookies)).token;
      await startBrowserSession(deps, request, reply, account, { previous, method: 'join link' });
      await recordJoin(deps.audit, request, account, { klass, student: joined.student }, 'signup');
      return reply.code(201).send({ classId: klass.id, studentId: joined.student.id, replId: joined.student.replId });
    },
  );
};

/** POST /api/join: a signed-in account joins by link or class code (behind the auth hook). */
export const joinRoutes: FastifyPluginAsyncTypebox<ClassRouteContext> = async (app, deps) => {
  app.post('/api/join', { schema: { summary: 'Join a class by link or class code: the student repl becomes yours', tags: ['classes'], body: JoinBody, response: { 200: JoinReply, ...refusals } } }, async (request) => {
    const account = accountOf(request);
    const joined = await deps.classes.join(account, request.body);
    if (joined.fresh) await recordJoin(deps.audit, request, account, joined, 'link' in request.body ? 'link' : 'code');
    return { classId: joined.klass.id, studentId: joined.student.id, replId: joined.student.replId };
  });
};
