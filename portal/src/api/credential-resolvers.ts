import type { Accounts } from '../accounts/accounts.js';
import type { Sessions } from '../accounts/sessions.js';
import { type CredentialResolver, scopesAllowedFor } from './credential.js';

/** `cys_`: a browser session, from the cookie only, with every scope the account's role allows. */
export function sessionResolver(sessions: Sessions): CredentialResolver {
  return {
    prefix: 'cys_',
    carriedBy: 'cookie',
    async resolve(token) {
      const found = await sessions.resolve(token);
      return found && { account: found.account, credential: { kind: 'session', id: found.session.id, scopes: scopesAllowedFor(found.account) } };
    },
  };
}

/**
 * `cy_`: an anonymous account's token (anonymous mode only), as a cookie or a bearer header as
 * before sign-in existed. An anonymous account is a member: it may read and write its own repls.
 */
export function legacyResolver(accounts: Accounts): CredentialResolver {
  return {
    prefix: 'cy_',
    carriedBy: 'both',
    async resolve(token) {
      const account = await accounts.resolve(token);
      return account && { account, credential: { kind: 'legacy', id: account.id, scopes: scopesAllowedFor(account) } };
    },
  };
}
