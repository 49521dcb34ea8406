import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type OidcErrorCode, OidcProviderParams, OidcStartBody, OidcStartReply } from '@codeyard/common/api/oidc';
import { AppError } from '@codeyard/common/errors';
import { Type } from 'typebox';
import { type LinkableAccount, type SignInIntent } from '../../accounts/oidc/oidc-accounts.js';
import { type OidcFlow, OidcSignInError, type VerifiedIdentity } from '../../accounts/oidc/oidc-flow.js';
import { type OidcProviders, ProviderUnavailable } from '../../accounts/oidc/oidc-providers.js';
import type { OidcProviderConfig } from '../../accounts/oidc/provider-config.js';
import type { Audit } from '../../audit/audit.js';
import { errorReply } from '../schemas.js';

/** The flow cookie: only the browser that started a sign-in can finish it. */
export function flowCookieName(secure: boolean): string {
  return secure ? '__Host-codeyard_oidc' : 'codeyard_oidc';
}

/**
 * HttpOnly; SameSite=Lax, which a browser sends on the provider's redirect back (a top-level
 * GET from another site) and on nothing a cross-site page can post; ten minutes.
 */
function flowCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  return [`${flowCookieName(secure)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** What the OpenID routes need of the rest of the portal (core's sign-in pieces, wired in app.ts). */
export interface OidcRoutesDeps {
  providers: OidcProviders;
  flow: OidcFlow;
  secureCookies: boolean;
  /** False in anonymous mode: there is no sign-in at all. */
  enabled: boolean;
  /** The audit log: every sign-in and failed sign-in here, and every provider connected to an account. */
  audit: Pick<Audit, 'record'>;
  /** Refuses (403) a browser request from another origin: the rule of every sign-in route. */
  checkSameOrigin(request: FastifyRequest): void;
  /** One sign-in attempt from this address (429 when over the limit). */
  limitSignIn(request: FastifyRequest): void;
  /** The account and session of this browser, if signed in (a "connect" flow links to it). */
  signedIn(request: FastifyRequest): Promise<{ account: LinkableAccount; sessionId: string } | undefined>;
  /** The account the identity signs in to (accountForIdentity with the portal's accounts, invites and sign-up rule). */
  resolveAccount(request: FastifyRequest, provider: OidcProviderConfig, identity: VerifiedIdentity, intent: SignInIntent): Promise<{ account: LinkableAccount; how: string; linked: boolean }>;
  /** Signs this browser in as every sign-in does (startBrowserSession): a new session, the old one revoked, the cookie set, recorded. */
  startSession(request: FastifyRequest, reply: FastifyReply, account: LinkableAccount, details: Record<string, unknown>): Promise<{ sessionId: string }>;
}

/** Errors of the rest of the portal met while finishing a sign-in, as sign-in page codes. */
function codeOf(err: AppError): OidcErrorCode {
  if (err.code === 'RATE_LIMITED') return 'limited';
  if (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND' || err.code === 'CONFLICT') return 'badinvite';
  return 'invalid';
}

/**
 * "Sign in with …": the sign-in page posts to start (same origin only, rate-limited like every
 * sign-in) and sends the browser to the provider; the provider sends it back to the callback,
 * which signs it in and goes to the dashboard, or goes back to the sign-in page with the code
 * of what went wrong. The callback is a cross-site navigation by nature (no Origin check can
 * apply): the flow cookie and state are what tie it to the browser that started.
 */
export const oidcRoutes: FastifyPluginAsyncTypebox<OidcRoutesDeps> = async (app, deps) => {
  const cookieName = flowCookieName(deps.secureCookies);
  const clearFlow = flowCookie('', deps.secureCookies, 0);
  const providerOf = (id: string): OidcProviderConfig => {
    if (!deps.enabled) throw new AppError('FORBIDDEN', 'this server has no sign-in: it runs with CODEYARD_AUTH=anonymous');
    const provider = deps.providers.get(id);
    if (!provider) throw new AppError('NOT_FOUND', `no OpenID provider "${id}" here; the configured ones are: ${deps.providers.list().map((p) => p.id).join(', ') || 'none (CODEYARD_OIDC_PROVIDERS is empty)'}`);
    return provider;
  };

  app.post(
    '/api/auth/oidc/:provider/start',
    {
      schema: {
        summary: 'Start signing in with an OpenID provider: answers the URL to send the browser to, and sets the flow cookie',
        description: 'From the portal origin only; rate-limited per client address. `link: true` connects the provider to the signed-in account instead; `invite` makes a new account by that invite.',
        tags: ['auth'],
        security: [],
        params: OidcProviderParams,
        body: OidcStartBody,
        response: { 200: OidcStartReply, 401: errorReply, 403: errorReply, 404: errorReply, 429: errorReply, 503: errorReply },
      },
    },
    async (request, reply) => {
      const provider = providerOf(request.params.provider);
      deps.checkSameOrigin(request);
      deps.limitSignIn(request);
      const body = request.body ?? {};
      let linkAccount: string | undefined;
      if (body.link) {
        const account = (await deps.signedIn(request))?.account;
        if (!account) throw new AppError('UNAUTHENTICATED', `sign in first: connecting ${provider.name} links it to the account you are signed in to`);
        linkAccount = account.id;
      }
      try {
        const { token, url } = await deps.flow.start(provider, { ...(linkAccount ? { linkAccount } : {}), ...(body.invite ? { invite: body.invite } : {}) });
        reply.header('set-cookie', flowCookie(token, deps.secureCookies, 600)).header('cache-control', 'no-store');
        return { url };
      } catch (err) {
        if (!(err instanceof ProviderUnavailable)) throw err;
        reply.header('retry-after', String(Math.ceil(err.retryInMs / 1000)));
        throw new AppError('UNAVAILABLE', err.message);
      }
    },
  );

  app.get(
    '/auth/oidc/:provider/callback',
    {
      schema: {
        summary: "Where the OpenID provider sends the browser back: signs it in (or, for a connect flow, links the provider) and goes to the dashboard, or back with what went wrong",
        tags: ['auth'],
        security: [],
        params: OidcProviderParams,
        response: { 303: Type.Null(), 403: errorReply, 404: errorReply },
      },
    },
    async (request, reply) => {
      const provider = providerOf(request.params.provider);
      const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1 || request.url.length));
      reply.header('set-cookie', clearFlow).header('cache-control', 'no-store');
      let connecting = false;
      try {
        const { identity, flow } = await deps.flow.finish(provider, cookieValue(request.headers.cookie, cookieName), query);
        connecting = flow.linkAccount !== undefined;
        const { account, how, linked } = await deps.resolveAccount(request, provider, identity, { ...(flow.linkAccount ? { linkAccount: flow.linkAccount } : {}), ...(flow.invite ? { invite: flow.invite } : {}) });
        const details = { provider: provider.id, how };
        // A connect flow acts as the session that started it (still this browser's, or no session at all).
        const sessionId = flow.linkAccount ? (await deps.signedIn(request))?.sessionId : (await deps.startSession(request, reply, account, details)).sessionId;
        if (linked) {
          await deps.audit.record({
            kind: 'identity.link',
            actor: { accountId: account.id, ...(sessionId ? { credential: { kind: 'session' as const, id: sessionId } } : {}) },
            target: { type: 'account', id: account.id, account: account.id },
            address: request.ip,
            details: { ...details, subject: identity.subject, ...(identity.email ? { email: identity.email } : {}) },
          });
        }
        request.log.info({ provider: provider.id, subject: identity.subject, account: account.id, how }, 'OpenID sign-in');
        // A connect flow goes back to the dashboard it started from, which says it worked.
        return reply.code(303).header('location', connecting ? `/?${new URLSearchParams({ connected: provider.id })}` : '/').send(null);
      } catch (err) {
        let code: OidcErrorCode;
        if (err instanceof OidcSignInError) code = err.code;
        else if (err instanceof AppError && err.status < 500) code = codeOf(err);
        else throw err;
        const about = err instanceof OidcSignInError ? err.accountId : undefined;
        // As a refused password is: from where, which provider, the code the page shows (never the provider's text).
        await deps.audit.record({
          kind: 'signin.failed',
          ...(about ? { target: { type: 'account', id: about, account: about } } : {}),
          address: request.ip,
          details: { method: 'oidc', provider: provider.id, reason: code, ...(connecting ? { connect: true } : {}) },
        });
        request.log.info({ provider: provider.id, code, reason: (err as Error).message }, 'OpenID sign-in refused');
        // Back where the browser started: the dashboard for a connect flow or any browser still
        // signed in (a flow that failed before it was read, e.g. a stale state, is not known to be
        // a connect; /signin would forward a signed-in browser to / and lose the message), else the sign-in page.
        const toDashboard = connecting || (await deps.signedIn(request)) !== undefined;
        return reply.code(303).header('location', `${toDashboard ? '/' : '/signin'}?${new URLSearchParams({ error: code, provider: provider.id })}`).send(null);
      }
    },
  );
};
