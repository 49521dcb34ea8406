import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import fp from 'fastify-plugin';
import { AppError, isAppError } from '@codeyard/common/errors';
import { cookieValues } from '@codeyard/proxy/cookies';
import type { AuthMode } from '@codeyard/common/api/auth';
import type { Account, Role } from '../accounts/accounts.js';
import { checkScope, type Credential, type CredentialResolver } from './credential.js';

export type { Credential, CredentialResolver };

/**
 * The portal's own cookie: the browser's session (`cys_`, or an anonymous account's `cy_`), on
 * the portal host only. Over https it carries the `__Host-` prefix, which browsers accept only
 * host-only, Secure and with Path=/: no repl or preview host can set or overwrite it, not even
 * for the parent domain. Over plain http no prefix is honoured, so a second cookie of the same
 * name is refused instead (see credentialsOf).
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-codeyard_token' : 'codeyard_token';
}

/** The Set-Cookie value that gives a browser its session: host-only, HttpOnly, SameSite=Lax, for `maxAgeSeconds` (a year by default: anonymous accounts). */
export function sessionCookie(token: string, secure: boolean, maxAgeSeconds = 365 * 24 * 3600): string {
  const parts = [`${sessionCookieName(secure)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** The Set-Cookie value that removes the session cookie (sign-out). */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', secure, 0);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's account, set by {@link FastifyInstance.authenticate} (`request.credential` beside it: api/credential.ts). */
    account?: Account;
  }
  interface FastifyInstance {
    /**
     * The hook that lets a request through only with a valid token (and, for a cookie caller
     * that changes something or opens a WebSocket, only from the portal's own pages); it sets
     * `request.account`. Scopes add it as their `preHandler` (or earlier, see the import route).
     */
    authenticate(request: FastifyRequest): Promise<void>;
    /**
     * The caller behind these headers (no account when the token is missing or unknown), or the
     * refusal to send. `address`: the client's (request.ip), for the audit log.
     */
    callerOf(headers: FastifyRequest['headers'], address?: string): Promise<Caller | AppError>;
  }
}

export interface Credentials {
  token?: string;
  viaCookie: boolean;
}

/**
 * A bearer token from `Authorization`, else the portal cookie. A browser that sends the
 * session cookie twice has been given a second one by another host under the same domain
 * (cookie tossing: a preview can set one for the parent domain, and order it first with a
 * longer Path). Taking either would let that host choose whose account this browser uses, so
 * the request is refused with what to do.
 */
export function credentialsOf(headers: { authorization?: string; cookie?: string; host?: string }, cookieName: string): Credentials {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), viaCookie: false };
  const values = cookieValues(headers.cookie, cookieName);
  if (values.length > 1) {
    const host = (headers.host ?? 'this site').replace(/:\d+$/, '');
    throw new AppError(
      'COOKIE_CONFLICT',
      `this browser sent ${values.length} Codeyard session cookies (${cookieName}): another site under the same domain set one, and Codeyard will not guess which is yours. Clear the cookies of ${host} and its parent domain in the browser's site settings, then reload.`,
    );
  }
  return { token: values[0], viaCookie: values.length === 1 };
}

/**
 * The one rule for "may this request change state": a browser request must come from the
 * portal's own pages. Browsers send Origin on every cross-origin request and on every
 * non-GET one, so an Origin other than ours is refused; a cookie-authenticated change must
 * carry ours (repl and preview hosts are same-site with the portal, so SameSite alone would
 * let an app's page post here), and a Sec-Fetch-Site other than same-origin is refused.
 * A client with neither header (curl, the CLI, a script) is not a browser riding on cookies.
 */
export function checkSameOrigin(headers: { origin?: string; 'sec-fetch-site'?: string | string[] }, portalOrigin: string, viaCookie: boolean): void {
  const origin = headers.origin;
  const site = headers['sec-fetch-site'];
  const refused = (why: string): AppError => new AppError('FORBIDDEN', `cross-origin request refused: ${why}; only ${portalOrigin} may change anything here`);
  if (origin !== undefined) {
    if (origin !== portalOrigin) throw refused(`Origin ${origin}`);
    return;
  }
  if (viaCookie) throw refused('a cookie-authenticated change without an Origin header');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refused(`Sec-Fetch-Site ${String(site)}`);
}

/** Methods that change nothing (and so need no Origin check). */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

export interface Caller {
  credentials: Credentials;
  account: Account | undefined;
  credential: Credential | undefined;
  /** Why a known token does not work (expired, revoked), for the 401. */
  refusal?: string;
}

export interface AuthOptions {
  /** One resolver per kind of secret, chosen by its prefix (app.ts: sessions, API tokens, and anonymous accounts' tokens in anonymous mode). */
  resolvers: readonly CredentialResolver[];
  /** How people sign in here: says what a 401 tells the caller to do. */
  authMode: AuthMode;
  /** The portal's origin, the only one whose pages may act with its cookie. */
  portalOrigin: string;
  secureCookies: boolean;
}

/** What a caller without a valid credential is told to do, by mode. */
export function signInHint(mode: AuthMode, portalOrigin: string, hadToken: boolean): AppError {
  const details = { authMode: mode, signIn: `${portalOrigin}/signin` };
  if (mode === 'anonymous') {
    return new AppError('UNAUTHENTICATED', hadToken ? 'the token is not valid; create a session with POST /api/session' : 'sign in first: send Authorization: Bearer <token> (from POST /api/session)', details);
  }
  const how =
    mode === 'owner'
      ? `sign in at ${portalOrigin}/signin (the owner signs in with the link the terminal printed when Codeyard started; others with the invite the owner sent them)`
      : `sign in at ${portalOrigin}/signin`;
  const start = hadToken ? 'this session or token is no longer valid (signed out, revoked, expired, or the account is disabled)' : 'this server needs you to sign in';
  return new AppError('UNAUTHENTICATED', `${start}: ${how}; a script sends Authorization: Bearer <API token>, and the CLI signs in with \`codeyard login\``, details);
}

/**
 * Who may call the API: a request with a valid credential, and for changes and WebSocket
 * handshakes made with the cookie, one from the portal itself (browsers send cookies on
 * cross-site WebSocket handshakes too, and a GET that opens a socket acts as much as a POST).
 * A credential without the scope a route needs is refused (api/credential.ts).
 */
export const auth = fp(
  async (app: FastifyInstance, options: AuthOptions) => {
    const cookieName = sessionCookieName(options.secureCookies);
    const callerOf = async (headers: FastifyRequest['headers'], address?: string): Promise<Caller | AppError> => {
      let credentials: Credentials;
      try {
        credentials = credentialsOf(headers, cookieName);
      } catch (err) {
        if (isAppError(err)) return err;
        throw err;
      }
      const { token } = credentials;
      const resolver = token === undefined ? undefined : options.resolvers.find((r) => token.startsWith(r.prefix));
      if (token === undefined || !resolver) return { credentials, account: undefined, credential: undefined };
      // A secret arriving the way its kind never does (a session cookie's value as a bearer header) is no credential.
      if (resolver.carriedBy !== 'both' && (resolver.carriedBy === 'cookie') !== credentials.viaCookie) return { credentials, account: undefined, credential: undefined };
      const resolved = await resolver.resolve(token, { address });
      if (resolved && 'refusal' in resolved) return { credentials, account: undefined, credential: undefined, refusal: resolved.refusal };
      return { credentials, account: resolved?.account, credential: resolved?.credential };
    };
    app.decorateRequest('account', undefined);
    app.decorateRequest('credential', undefined);
    app.decorate('callerOf', callerOf);
    app.decorate('authenticate', async (request: FastifyRequest): Promise<void> => {
      const caller = await callerOf(request.headers, request.ip);
      if (caller instanceof AppError) throw caller;
      const { credentials, account, credential } = caller;
      if (!account || !credential) {
        if (caller.refusal) throw new AppError('UNAUTHENTICATED', caller.refusal);
        throw signInHint(options.authMode, options.portalOrigin, credentials.token !== undefined);
      }
      // A bearer token is never sent by a browser on its own, so only cookies need the check.
      if (credentials.viaCookie && (!isSafeMethod(request.method) || request.ws)) checkSameOrigin(request.headers, options.portalOrigin, true);
      request.account = account;
      request.credential = credential;
      checkScope(request, credential);
    });
  },
  { name: 'codeyard-auth', dependencies: ['@fastify/websocket'] },
);

/** The caller's account in a route behind {@link FastifyInstance.authenticate}. */
export function accountOf(request: FastifyRequest): Account {
  if (!request.account) throw new AppError('INTERNAL', 'a route that needs an account is not behind the authenticate hook');
  return request.account;
}

/** Refuses (403) a caller whose role is not one of `roles`, saying who may. */
export function requireRole(request: FastifyRequest, roles: readonly Role[], what: string): Account {
  const account = accountOf(request);
  if (!roles.includes(account.role)) throw new AppError('FORBIDDEN', `only ${roles.map((r) => `${r}s`).join(' and ')} may ${what}; this account is a ${account.role}`);
  return account;
}
