import type { AuthMode } from '@codeyard/common/api/auth';
import type { Accounts } from './accounts.js';
import type { Invites } from './invites.js';
import { type OwnerLink, ownerLink } from './owner.js';

/** The way in the terminal prints at start, while a server has nobody who could let others in. */
export interface FirstSignIn {
  /** `owner`: the owner link (owner mode, no owner yet); `admin-invite`: the first admin's sign-up link (accounts mode, no admin yet). */
  kind: 'owner' | 'admin-invite';
  url: string;
}

/**
 * What to print at start: owner mode without an owner gets a new owner link (the previous code
 * stops working); accounts mode without an admin gets a new invite for the first, admin,
 * account, so a server with sign-up by invite (or closed) is not locked from the start. Nothing
 * once someone can let others in, and nothing in anonymous mode.
 */
export async function firstSignIn(mode: AuthMode, auth: { accounts: Accounts; invites: Invites; owner: OwnerLink }, origin: string): Promise<FirstSignIn | undefined> {
  if (mode === 'owner') {
    const code = await auth.owner.codeAtStart();
    return code === undefined ? undefined : { kind: 'owner', url: ownerLink(origin, code) };
  }
  if (mode === 'accounts' && !(await auth.accounts.repository.hasAdmin())) return { kind: 'admin-invite', url: await auth.invites.firstAdmin() };
  return undefined;
}

/** The lines `npm start` prints about signing in. */
export function signInLines(mode: AuthMode, first: FirstSignIn | undefined, origin: string): string[] {
  if (first?.kind === 'owner') return [`Sign in as the owner: ${first.url}`, '  (works once, in the browser that should own this server; the owner invites everyone else)'];
  if (first?.kind === 'admin-invite') return [`Make the first account, this server's admin: ${first.url}`, '  (works once; later accounts sign up as CODEYARD_SIGNUP allows)'];
  if (mode === 'owner') return [`Owner mode: the owner signs in from their browser; \`npm run owner-link\` prints a new owner link if they are signed out`];
  if (mode === 'accounts') return [`Sign in at ${origin}/signin`];
  return ['Anonymous mode: every browser gets an account of its own, no sign-in (CODEYARD_AUTH=owner or accounts to require one)'];
}
