import type { IdentityRepository } from '../../db/identity-repository.js';
import { OidcSignInError, type VerifiedIdentity } from './oidc-flow.js';
import type { OidcProviderConfig } from './provider-config.js';

/** What linking needs of an account (core's Account has these and more). */
export interface LinkableAccount {
  id: string;
  email?: string;
  disabled: boolean;
}

/** An invite taken for a sign-up (core's Invites), given back if the account cannot be made. */
export interface ClaimedInvite {
  role: 'admin' | 'teacher' | 'member';
  email?: string;
}

export interface OidcAccountsDeps<A extends LinkableAccount, I extends ClaimedInvite> {
  identities: IdentityRepository;
  accounts: {
    byId(id: string): Promise<A | undefined>;
    byEmail(email: string): Promise<A | undefined>;
    createUser(fields: { email: string; emailVerified: boolean; name?: string; role?: I['role'] }): Promise<A>;
  };
  invites: {
    claim(token: string, email: string): Promise<I>;
    release(invite: I): Promise<void>;
    used(invite: I, accountId: string): Promise<void>;
  };
  /** Who may make an account now (owner mode: by invite; see core's effectiveSignup). */
  signup: 'open' | 'invite' | 'closed';
  /** Called before a new account is made (core's sign-up rate limit per address). */
  beforeSignUp?: () => void;
  now?: () => Date;
}

/** What the browser asked for besides signing in: connecting the provider to its account, or an invite to sign up with. */
export interface SignInIntent {
  linkAccount?: string;
  invite?: string;
}

/** The address's domain is one the provider entry allows (any, when it names none). */
export function domainAllowed(provider: Pick<OidcProviderConfig, 'allowedDomains'>, email: string | undefined): boolean {
  if (!provider.allowedDomains.length) return true;
  const domain = email?.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domain !== undefined && provider.allowedDomains.includes(domain);
}

/**
 * The account an identity the provider vouched for signs in to:
 * 1. an identity linked before (issuer + subject) is its account, whatever the address says now;
 * 2. else an account with the same address, only when the provider verified the address
 *    (`email_verified`): it is linked, and found by 1. from then on;
 * 3. else a new account, as sign-up allows (open, or with an invite; never from an unverified
 *    address, which could be anyone's).
 * `allowedDomains` applies to every sign-in (a verified address in an allowed domain), and a
 * disabled account gets nothing. A "connect" flow links to the signed-in account instead.
 */
export async function accountForIdentity<A extends LinkableAccount, I extends ClaimedInvite>(
  provider: Pick<OidcProviderConfig, 'id' | 'allowedDomains'>,
  identity: VerifiedIdentity,
  intent: SignInIntent,
  deps: OidcAccountsDeps<A, I>,
): Promise<{ account: A; how: 'identity' | 'email' | 'created' | 'connected'; linked: boolean }> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  const email = identity.emailVerified ? identity.email : undefined;
  if (provider.allowedDomains.length) {
    if (!identity.email) throw new OidcSignInError('unverified', 'allowedDomains is set and the provider gave no address');
    if (!email) throw new OidcSignInError('unverified', `allowedDomains is set and ${identity.email} is not verified`);
    if (!domainAllowed(provider, email)) throw new OidcSignInError('domain', `${email} is outside ${provider.allowedDomains.join(', ')}`);
  }
  const usable = (account: A | undefined, what: string): A => {
    if (!account) throw new OidcSignInError('expired', `${what} is gone`);
    if (account.disabled) throw new OidcSignInError('disabled', `account ${account.id} is disabled`, account.id);
    return account;
  };
  // True once this call made the link (not when a racing callback made it first).
  let fresh = false;
  const link = async (account: A): Promise<A> => {
    const linked = await deps.identities.link({ issuer: identity.issuer, subject: identity.subject, accountId: account.id, provider: provider.id, ...(identity.email ? { email: identity.email } : {}), createdAt: at });
    fresh = linked !== 'taken';
    if (fresh) return account;
    // Linked meanwhile (two callbacks at once): whoever won decides the account.
    const winner = await deps.identities.find(identity.issuer, identity.subject);
    if (winner?.accountId !== account.id) throw new OidcSignInError('linked', `${identity.issuer} ${identity.subject} was linked to ${winner?.accountId} meanwhile`);
    return account;
  };

  const known = await deps.identities.find(identity.issuer, identity.subject);
  if (intent.linkAccount) {
    const account = usable(await deps.accounts.byId(intent.linkAccount), `the signed-in account ${intent.linkAccount}`);
    if (known && known.accountId !== account.id) throw new OidcSignInError('linked', `${identity.subject} is linked to ${known.accountId}, not ${account.id}`, account.id);
    if (known) await deps.identities.signedIn(identity.issuer, identity.subject, at, identity.email);
    return { account: known ? account : await link(account), how: 'connected', linked: fresh };
  }
  if (known) {
    const account = usable(await deps.accounts.byId(known.accountId), `account ${known.accountId} of this identity`);
    await deps.identities.signedIn(identity.issuer, identity.subject, at, identity.email);
    return { account, how: 'identity', linked: false };
  }
  if (!email) throw new OidcSignInError('unverified', identity.email ? `${identity.email} is not verified by the provider` : 'the provider gave no address');
  const existing = await deps.accounts.byEmail(email);
  if (existing) return { account: await link(usable(existing, `the account of ${email}`)), how: 'email', linked: fresh };

  if (intent.invite === undefined) {
    if (deps.signup === 'closed') throw new OidcSignInError('closed', `no account for ${email} and sign-up is closed`);
    if (deps.signup === 'invite') throw new OidcSignInError('invite', `no account for ${email} and sign-up is by invite`);
    deps.beforeSignUp?.();
    return { account: await link(await deps.accounts.createUser({ email, emailVerified: true, ...(identity.name ? { name: identity.name } : {}) })), how: 'created', linked: fresh };
  }
  if (deps.signup === 'closed') throw new OidcSignInError('closed', `sign-up is closed (an invite was given for ${email})`);
  deps.beforeSignUp?.();
  const invite = await deps.invites.claim(intent.invite, email);
  let account: A;
  try {
    account = await deps.accounts.createUser({ email, emailVerified: true, ...(identity.name ? { name: identity.name } : {}), role: invite.role });
  } catch (err) {
    await deps.invites.release(invite);
    throw err;
  }
  await deps.invites.used(invite, account.id);
  return { account: await link(account), how: 'created', linked: fresh };
}
