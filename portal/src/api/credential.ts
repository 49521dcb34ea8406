import type { FastifyRequest } from 'fastify';
import { SCOPES, type Scope } from '@codeyard/common/api/tokens';
import { AppError } from '@codeyard/common/errors';
import type { Account } from '../accounts/accounts.js';

export type { Scope };

/** How the caller proved who they are; the prefix of their token tells the kind. */
export type CredentialKind = 'legacy' | 'session' | 'token';

/**
 * The credential behind a request (`request.credential`): its kind, its id (the token's or the
 * session's; the account's for a legacy `cy_` token) and what it may do.
 */
export interface Credential {
  kind: CredentialKind;
  id: string;
  scopes: Scope[];
}

/** A credential that checked out: whose it is, and what it may do. */
export interface Resolved {
  account: Account;
  credential: Credential;
}

/**
 * How the auth plugin (api/auth.ts) reads one kind of token, chosen by its prefix (`cyp_` for
 * personal API tokens, `cys_` for browser sessions). `refusal` says why a token that is known
 * does not work (expired, revoked): the 401 says so, so the client knows what to do.
 */
export interface CredentialResolver {
  prefix: string;
  /** Where this kind may come from: a bearer header only (API tokens), the cookie only (sessions), or either (anonymous accounts' `cy_` tokens, as before sign-in existed). */
  carriedBy: 'bearer' | 'cookie' | 'both';
  /** `seen.address`: where the request came from (for the audit log's record of a token's use). */
  resolve(token: string, seen?: { address?: string }): Promise<Resolved | { refusal: string } | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's credential, set by the authenticate hook beside `account`. */
    credential?: Credential;
  }
  interface FastifyContextConfig {
    /**
     * The scope a route needs when it is not its method's (`read` for GET and HEAD, `write` for
     * anything else): e.g. a token revoking itself needs only `read`.
     */
    scope?: Scope;
  }
}

/** What a credential of this account may hold: `admin` only when the account is an admin. */
export function scopesAllowedFor(account: Pick<Account, 'role'>): Scope[] {
  return account.role === 'admin' ? [...SCOPES] : ['read', 'write'];
}

/** `write` includes `read`: stored and shown as both, in one order. */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  const wanted = new Set(scopes);
  if (wanted.has('write')) wanted.add('read');
  return SCOPES.filter((s) => wanted.has(s));
}

/** The scope a request needs: the route's own, else `read` for safe methods and `write` for the rest. */
export function requiredScope(method: string, routeScope: Scope | undefined): Scope {
  if (routeScope) return routeScope;
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}

/** Refuses (403, naming the missing scope) a request its credential's scopes do not cover. */
export function checkScope(request: FastifyRequest, credential: Credential): void {
  const needed = requiredScope(request.method, request.routeOptions.config?.scope);
  if (credential.scopes.includes(needed)) return;
  const what = credential.kind === 'token' ? 'API token' : 'credential';
  throw new AppError(
    'FORBIDDEN',
    `this ${what} has the scope${credential.scopes.length === 1 ? '' : 's'} ${credential.scopes.join(', ') || '(none)'}, and ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} needs the \`${needed}\` scope: create a token with \`${needed}\``,
    { missingScope: needed },
  );
}

/** The caller's credential in a route behind the authenticate hook. */
export function credentialOf(request: FastifyRequest): Credential {
  if (!request.credential) throw new AppError('INTERNAL', 'a route that needs a credential is not behind the authenticate hook');
  return request.credential;
}
