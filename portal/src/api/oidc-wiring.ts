import type { FastifyRequest } from 'fastify';
import { accountForIdentity } from '../accounts/oidc/oidc-accounts.js';
import { OidcFlow } from '../accounts/oidc/oidc-flow.js';
import type { OidcProviders } from '../accounts/oidc/oidc-providers.js';
import { effectiveSignup } from '../accounts/sign-up.js';
import type { Database } from '../db/open-database.js';
import { checkSameOrigin, credentialsOf, sessionCookieName } from './auth.js';
import type { ApiContext } from './context.js';
import type { IdentityRoutesDeps } from './routes/identities.js';
import type { OidcRoutesDeps } from './routes/oidc.js';
import { startBrowserSession } from './routes/auth.js';

/**
 * The OpenID routes plugged into the portal's sign-in pieces: the same-origin rule, the sign-in
 * and sign-up rate limits, the accounts, invites and sign-up rule, the audit log, and the one
 * session start every sign-in uses (startBrowserSession, as for passwords).
 */
export function oidcRouteDeps(context: ApiContext, database: Pick<Database, 'identities' | 'oidcFlows'>, providers: OidcProviders): OidcRoutesDeps {
  const cookieName = sessionCookieName(context.secureCookies);
  const sessionToken = (request: FastifyRequest): string | undefined => credentialsOf(request.headers, cookieName).token;
  return {
    providers,
    flow: new OidcFlow(providers, database.oidcFlows),
    secureCookies: context.secureCookies,
    enabled: context.authMode !== 'anonymous',
    audit: context.audit,
    checkSameOrigin: (request) => checkSameOrigin(request.headers, context.portalOrigin, false),
    limitSignIn: (request) => context.signInLimits.signIn(request.ip),
    signedIn: async (request) => {
      const signedIn = await context.sessions.resolve(sessionToken(request));
      return signedIn && { account: signedIn.account, sessionId: signedIn.session.id };
    },
    resolveAccount: (request, provider, identity, intent) =>
      accountForIdentity(provider, identity, intent, {
        identities: database.identities,
        accounts: context.accounts,
        invites: context.invites,
        signup: effectiveSignup(context.authMode, context.signup),
        beforeSignUp: () => context.signInLimits.signUp(request.ip),
      }),
    startSession: async (request, reply, account, details) => {
      const full = await context.accounts.byId(account.id);
      if (!full) throw new Error(`account ${account.id} vanished while signing in`);
      return startBrowserSession(context, request, reply, full, { previous: sessionToken(request), method: 'oidc', details });
    },
  };
}

/** The connected-providers routes: the identities, the providers' names, and who signs in without one. */
export function identityRouteDeps(context: ApiContext, database: Pick<Database, 'identities' | 'accounts'>, providers: OidcProviders): IdentityRoutesDeps {
  return {
    identities: database.identities,
    providerName: (id) => providers.get(id)?.name,
    // The owner link works for the owner whatever else they have (owner mode prints a new one).
    signsInOtherwise: async (accountId) => (await database.accounts.hasPassword(accountId)) || (context.authMode === 'owner' && (await context.owner.owner())?.id === accountId),
    audit: context.audit,
  };
}
