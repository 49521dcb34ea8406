import { createHash, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcErrorCode } from '@codeyard/common/api/oidc';
import type { OidcFlowRecord, OidcFlowRepository } from '../../db/oidc-flow-repository.js';
import { describe, type OidcProviders, ProviderUnavailable } from './oidc-providers.js';
import type { OidcProviderConfig } from './provider-config.js';

/** How long a browser has from "Sign in with …" to coming back (a provider's sign-in page, maybe a second factor). */
export const FLOW_TTL_MS = 10 * 60_000;
/** Flows cookies are 32 random bytes, base64url: what the database keeps is their SHA-256. */
const FLOW_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** How often expired flows are deleted (at most; on the next start after it). */
const SWEEP_EVERY_MS = 3600_000;

/** A sign-in that went wrong, with the code the sign-in page shows the message of. */
export class OidcSignInError extends Error {
  override name = 'OidcSignInError';
  constructor(
    readonly code: OidcErrorCode,
    /** For the log: what exactly failed (never shown to the browser, which gets the code's message). */
    readonly detail: string,
    /** The account it was about, when one was found (a disabled one): the audit log's target. */
    readonly accountId?: string,
  ) {
    super(detail);
  }
}

/** What the provider vouched for: who (issuer + subject) and, when it gave them, the address and name. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email?: string;
  /** The provider says the address is this person's (`email_verified` true). */
  emailVerified: boolean;
  name?: string;
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `email_verified` as providers send it: a boolean, or (some, like AWS Cognito) the string "true". */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * The authorization code flow with PKCE (S256), state and nonce. `start` makes the checks and
 * keeps them in the database under the SHA-256 of a random token that goes to the browser as an
 * HttpOnly cookie: only the browser that started a flow can finish it (a code sent to another
 * browser finds no flow there), on any replica, once.
 */
export class OidcFlow {
  #lastSweep = 0;

  constructor(
    readonly providers: OidcProviders,
    readonly flows: OidcFlowRepository,
    readonly now: () => number = Date.now,
  ) {}

  /** A new flow: the cookie token for the browser and the provider's authorization URL to send it to. */
  async start(provider: OidcProviderConfig, options: { linkAccount?: string; invite?: string } = {}): Promise<{ token: string; url: string }> {
    const configuration = await this.providers.configuration(provider);
    const now = this.now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      await this.flows.sweep(now);
    }
    const token = randomBytes(32).toString('base64url');
    const flow: OidcFlowRecord = {
      provider: provider.id,
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      ...(options.linkAccount ? { linkAccount: options.linkAccount } : {}),
      ...(options.invite ? { invite: options.invite } : {}),
      createdAt: new Date(now).toISOString(),
      expiresAt: now + FLOW_TTL_MS,
    };
    await this.flows.insert(hash(token), flow);
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.providers.redirectUri(provider.id),
      scope: provider.scopes.join(' '),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { token, url: url.href };
  }

  /**
   * Finishes the flow of this browser's cookie with the provider's answer (the callback's query):
   * checks state, exchanges the code with the verifier, checks the ID token (signature, issuer,
   * audience, nonce, expiry) and reads the address from it or from userinfo. The flow is used
   * up whatever happens.
   */
  async finish(provider: OidcProviderConfig, cookieToken: string | undefined, query: URLSearchParams): Promise<{ identity: VerifiedIdentity; flow: OidcFlowRecord }> {
    const flow = cookieToken && FLOW_TOKEN.test(cookieToken) ? await this.flows.take(hash(cookieToken)) : undefined;
    if (!flow) throw new OidcSignInError('expired', cookieToken ? 'no flow for this cookie (used, swept, or never started)' : 'no flow cookie in this browser');
    if (flow.expiresAt < this.now()) throw new OidcSignInError('expired', `the flow expired at ${new Date(flow.expiresAt).toISOString()}`);
    if (flow.provider !== provider.id) throw new OidcSignInError('expired', `the flow was started for ${flow.provider}, not ${provider.id}`);
    // The provider's own "no" (the person cancelled, or the client is not allowed) comes before any check.
    const error = query.get('error');
    if (error) throw new OidcSignInError(error === 'access_denied' ? 'denied' : 'provider', `the provider answered ${error}: ${query.get('error_description') ?? ''}`);
    if (query.get('state') !== flow.state) throw new OidcSignInError('expired', 'the state does not match the flow of this browser');

    let configuration: client.Configuration;
    try {
      configuration = await this.providers.configuration(provider);
    } catch (err) {
      throw new OidcSignInError('unavailable', err instanceof ProviderUnavailable ? err.message : describe(err));
    }
    const currentUrl = new URL(this.providers.redirectUri(provider.id));
    currentUrl.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, currentUrl, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      throw new OidcSignInError(isNetworkError(err) ? 'unavailable' : 'invalid', describe(err));
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcSignInError('invalid', 'the token response has no ID token');
    let { email, email_verified: verified, name } = claims as { email?: unknown; email_verified?: unknown; name?: unknown };
    // Many providers (Keycloak with some mappers, oidc-provider by default) put the address only in userinfo.
    if (typeof email !== 'string' && configuration.serverMetadata().userinfo_endpoint) {
      try {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        ({ email, email_verified: verified } = info);
        name ??= info.name;
      } catch (err) {
        throw new OidcSignInError(isNetworkError(err) ? 'unavailable' : 'invalid', `userinfo: ${describe(err)}`);
      }
    }
    return {
      identity: {
        issuer: claims.iss,
        subject: claims.sub,
        ...(typeof email === 'string' && email.trim() ? { email: email.trim() } : {}),
        emailVerified: typeof email === 'string' && isTrue(verified),
        ...(typeof name === 'string' && name.trim() ? { name: name.trim().slice(0, 200) } : {}),
      },
      flow,
    };
  }
}

function isNetworkError(err: unknown): boolean {
  const e = err as { message?: string; name?: string };
  return e?.message === 'fetch failed' || e?.name === 'TimeoutError' || e?.name === 'AbortError';
}
