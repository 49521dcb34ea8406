import type { AuthMode, SignupMode } from '@codeyard/common/api/auth';
import { AppError } from '@codeyard/common/errors';
import type { Account } from '../db/account-repository.js';
import type { Accounts } from './accounts.js';
import { type Invites, SERVER_INVITER } from './invites.js';

/** Who may sign up now: owner mode only by invite, anonymous mode not at all (no sign-in there). */
export function effectiveSignup(mode: AuthMode, signup: SignupMode): SignupMode {
  return mode === 'owner' ? 'invite' : mode === 'anonymous' ? 'closed' : signup;
}

export interface SignUpRequest {
  email: string;
  password: string;
  name: string;
  invite?: string;
}

/**
 * A new account from the sign-up page. With an invite, the invite is taken first (only one
 * sign-up gets it) and given back if the account cannot be made; its role is the invite's, and
 * an invite for a named address counts that address as verified (the link reached it, as a
 * verification mail's would). Without one, only open sign-up lets anyone in, as a member (the
 * first account of a server as its admin). Closed sign-up takes only the first admin's invite.
 */
export async function signUp(request: SignUpRequest, deps: { accounts: Accounts; invites: Invites; authMode: AuthMode; signup: SignupMode }): Promise<Account> {
  const signup = effectiveSignup(deps.authMode, deps.signup);
  if (deps.authMode === 'anonymous') throw new AppError('FORBIDDEN', 'this server has no sign-up: it runs with CODEYARD_AUTH=anonymous, where every browser gets an account of its own');
  if (signup === 'closed' && !(await isFirstAdminInvite(request.invite, deps.invites))) {
    throw new AppError('FORBIDDEN', 'sign-up is closed on this server (CODEYARD_SIGNUP=closed): ask an admin for an account');
  }
  if (request.invite === undefined) {
    if (signup !== 'open') throw new AppError('FORBIDDEN', 'sign-up here is by invitation: ask an admin or teacher of this server for an invite link');
    return deps.accounts.createUser({ email: request.email, emailVerified: false, name: request.name, password: request.password });
  }
  const invite = await deps.invites.claim(request.invite, request.email);
  let account: Account;
  try {
    account = await deps.accounts.createUser({ email: request.email, emailVerified: invite.email !== undefined, name: request.name, role: invite.role, password: request.password });
  } catch (err) {
    await deps.invites.release(invite);
    throw err;
  }
  await deps.invites.used(invite, account.id);
  return account;
}

/** The invite the portal printed for the first admin: it works even with sign-up closed, or nobody could ever get in. */
async function isFirstAdminInvite(token: string | undefined, invites: Invites): Promise<boolean> {
  if (token === undefined) return false;
  const invite = await invites.lookup(token).catch(() => undefined);
  return invite?.createdBy === SERVER_INVITER && invite.role === 'admin';
}
