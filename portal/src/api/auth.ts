import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import fp from 'fastify-plugin';
import { AppError, isAppError } from '@codeyard/common/errors';
import { cookieValues } from '@codeyard/proxy/cookies';
import type { Account, Accounts } from '../accounts/accounts.js';
import { checkScope, type Credential, type CredentialResolver, scopesAllowedFor } from './credential.js';

/**
 * The portal's own cookie: the account token, on the portal host only. Over https it carries
 * the `__Host-` prefix, which browsers accept only host-only, Secure and with Path=/: no repl
 * or preview host can set or overwrite it, not even for the parent domain. Over plain http no
 * prefix is honoured, so a second cookie of the same name is refused instead (see credentialsOf).
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-codeyard_token' : 'codeyard_token';
}

/** The Set-Cookie value that gives a browser its session: host-only, HttpOnly, a year long. */
export function sessionCookie(token: string, secure: boolean): string {
  const parts = [`${sessionCookieName(secure)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${365 * 24 * 3600}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's account, set by {@link FastifyInstance.authenticate}. */
    account?: Account;
  }
  interface FastifyInstance {
    /**
     * The hook that lets a request through only with a valid token (and, for a cookie caller
     * that changes something or opens a WebSocket, only from the portal's own pages); it sets
     * `request.account`. Scopes add it as their `preHandler` (or earlier, see the import route).
     */
    authenticate(request: FastifyRequest): Promise<void>;
    /** The caller behind these headers (no account when the token is missing or unknown), or the refusal to send. */
    callerOf(headers: FastifyRequest['headers']): Promise<Caller | AppError>;
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
  credential?: Credential;
  /** Why a known token does not work (expired, revoked), for the 401. */
  refusal?: string;
}

export interface AuthOptions {
  accounts: Accounts;
  /** The portal's origin, the only one whose pages may act with its cookie. */
  portalOrigin: string;
  secureCookies: boolean;
  /** Token kinds read by their prefix (`cyp_` API tokens…); any other token is a legacy `cy_` account token. */
  resolvers?: readonly CredentialResolver[];
}

/**
 * Who may call the API: a request with a valid token, and for changes and WebSocket handshakes
 * made with the cookie, one from the portal itself (browsers send cookies on cross-site
 * WebSocket handshakes too, and a GET that opens a socket acts as much as a POST).
 */
export const auth = fp(
  async (app: FastifyInstance, options: AuthOptions) => {
    const cookieName = sessionCookieName(options.secureCookies);
    const callerOf = async (headers: FastifyRequest['headers']): Promise<Caller | AppError> => {
      let credentials: Credentials;
      try {
        credentials = credentialsOf(headers, cookieName);
      } catch (err) {
        if (isAppError(err)) return err;
        throw err;
      }
      const token = credentials.token;
      const resolver = token ? options.resolvers?.find((r) => token.startsWith(r.prefix)) : undefined;
      if (token && resolver) {
        // A kind from the wrong place (an API token in a cookie) was not put there by the portal.
        if ((resolver.carriedBy === 'cookie') !== credentials.viaCookie) return { credentials, account: undefined };
        const resolved = await resolver.resolve(token);
        return resolved && 'refusal' in resolved ? { credentials, account: undefined, refusal: resolved.refusal } : { credentials, account: resolved?.account, credential: resolved?.credential };
      }
      const account = await options.accounts.resolve(token);
      return { credentials, account, credential: account && { kind: 'legacy', id: account.id, scopes: scopesAllowedFor(account) } };
    };
    app.decorateRequest('account', undefined);
    app.decorateRequest('credential', undefined);
    app.decorate('callerOf', callerOf);
    app.decorate('authenticate', async (request: FastifyRequest): Promise<void> => {
      const caller = await callerOf(request.headers);
      if (caller instanceof AppError) throw caller;
      const { credentials, account, credential } = caller;
      if (!account || !credential) {
        if (caller.refusal) throw new AppError('UNAUTHENTICATED', caller.refusal);
        throw new AppError('UNAUTHENTICATED', credentials.token ? 'the token is not valid; create a session with POST /api/session' : 'sign in first: send Authorization: Bearer <token> (from POST /api/session)');
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
