/**
 * Why an OpenID Connect sign-in did not happen. The callback sends the browser back to the
 * sign-in page with one of these codes (never a message of its own: a link with made-up text
 * must not make the page say it), and the page shows the code's message. No imports: the web UI
 * bundles this file.
 */

/** Why an OpenID sign-in did not happen, and what the person can do (`{provider}` is the provider's name). */
export const OIDC_ERRORS = {
  expired: 'This sign-in with {provider} was started in another browser or tab, took longer than 10 minutes, or was finished already. Start again with the button below.',
  denied: 'Sign-in with {provider} was cancelled. Start again if you meant to sign in.',
  unavailable: '{provider} could not be reached. Try again in a minute; if it keeps failing, tell an admin of this server.',
  provider: '{provider} refused the sign-in. Try again; if it keeps failing, an admin should check the provider settings (CODEYARD_OIDC_PROVIDERS).',
  invalid: "{provider}'s answer did not pass the checks (token signature, audience or nonce), so nobody was signed in. Start again; if it keeps failing, tell an admin.",
  unverified: '{provider} did not confirm that your email address is yours (email_verified), so it cannot be matched to an account or make one. Verify the address with {provider}, or sign in another way.',
  domain: 'Your {provider} address is not in a domain allowed to sign in here. Use the account of your school or company, or ask an admin.',
  disabled: 'This account is disabled. Ask an admin of this server.',
  invite: 'There is no account with your {provider} address here, and sign-up is by invitation. Ask an admin or teacher for an invite link, then choose {provider} on its page.',
  closed: 'There is no account with your {provider} address here, and sign-up is closed. Ask an admin for an account.',
  badinvite: 'This invite link does not work for your {provider} account: it was used or expired, or it is for another address. Ask for a new one.',
  linked: 'This {provider} account is already connected to another account here. Sign out and sign in with {provider} to use that one.',
  limited: 'Too many sign-ins from this address just now. Wait a minute, then try again.',
} as const;

export type OidcErrorCode = keyof typeof OIDC_ERRORS;

export function isOidcErrorCode(code: unknown): code is OidcErrorCode {
  return typeof code === 'string' && Object.hasOwn(OIDC_ERRORS, code);
}

/** The message for a code, with the provider's name. */
export function oidcErrorMessage(code: OidcErrorCode, providerName: string): string {
  return OIDC_ERRORS[code].replaceAll('{provider}', providerName);
}
