import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@codeyard/common/errors';
import type { Account, Accounts } from '../accounts/accounts.js';

/** The portal's own cookie: the account token, on the portal host only. */
export const PORTAL_COOKIE = 'codeyard_token';

declare module 'fastify' {
  interface FastifyRequest {
    account?: Account;
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export interface Credentials {
  token?: string;
  viaCookie: boolean;
}

/** A bearer token from `Authorization`, else the portal cookie. */
export function credentialsOf(headers: { authorization?: string; cookie?: string }): Credentials {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), viaCookie: false };
  const cookie = cookieValue(headers.cookie, PORTAL_COOKIE);
  return { token: cookie, viaCookie: cookie !== undefined };
}

/**
 * Who may call the API: a request with a valid token. A cookie-authenticated request that
 * changes something must also come from the portal's own origin: repl and preview hosts are
 * same-site with the portal, so SameSite alone would let an app's page post here.
 */
export function authenticate(accounts: Accounts, portalOrigin: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const creds = credentialsOf(request.headers);
    const account = await accounts.resolve(creds.token);
    if (!account) {
      throw new AppError('UNAUTHENTICATED', creds.token ? 'the token is not valid; create a session with POST /api/session' : 'sign in first: send Authorization: Bearer <token> (from POST /api/session)');
    }
    if (creds.viaCookie && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      const origin = request.headers.origin;
      if (origin !== portalOrigin) throw new AppError('FORBIDDEN', `cross-origin request refused: Origin ${origin ?? '(none)'} is not ${portalOrigin}`);
    }
    request.account = account;
  };
}
