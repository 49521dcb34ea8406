import * as client from 'openid-client';
import { isLoopbackIssuer, type OidcProviderConfig } from './provider-config.js';

/** Seconds one request to a provider may take (discovery, token, userinfo): a browser is waiting. */
const REQUEST_TIMEOUT_SECONDS = 8;
/** After a failed discovery, no new try for this long, doubling per failure up to the maximum. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;
/** Metadata is read again after this long (a provider may move an endpoint; keys rotate on their own). */
const REFRESH_MS = 3600_000;

/** A provider could not be used (down, misconfigured): the message says which and what to do. */
export class ProviderUnavailable extends Error {
  override name = 'ProviderUnavailable';
  constructor(
    message: string,
    /** Milliseconds until the next try (the caller may say when to come back). */
    readonly retryInMs: number,
  ) {
    super(message);
  }
}

interface Discovered {
  at: number;
  configuration: client.Configuration;
}

interface Failed {
  at: number;
  failures: number;
  message: string;
}

/**
 * The configured OpenID providers and their metadata, discovered at first use and kept (each
 * replica discovers for itself; nothing of it needs sharing). A provider that cannot be reached
 * is tried again after a pause that grows with each failure, so a sign-in page full of people
 * does not hammer a provider that is down, and each of them hears at once what is wrong.
 */
export class OidcProviders {
  readonly #byId: Map<string, OidcProviderConfig>;
  readonly #discovered = new Map<string, Discovered>();
  readonly #failed = new Map<string, Failed>();
  readonly #pending = new Map<string, Promise<client.Configuration>>();

  constructor(
    configs: readonly OidcProviderConfig[],
    /** The portal's public origin: redirect URIs are `<origin>/auth/oidc/<id>/callback`. */
    readonly origin: string,
    readonly now: () => number = Date.now,
  ) {
    this.#byId = new Map(configs.map((c) => [c.id, c]));
  }

  /** What the sign-in page lists, in the configured order. */
  list(): Array<{ id: string; name: string }> {
    return [...this.#byId.values()].map(({ id, name }) => ({ id, name }));
  }

  get(id: string): OidcProviderConfig | undefined {
    return this.#byId.get(id);
  }

  redirectUri(id: string): string {
    return `${this.origin}/auth/oidc/${id}/callback`;
  }

  /** The provider's client configuration, discovered (or rediscovered) as needed. */
  async configuration(provider: OidcProviderConfig): Promise<client.Configuration> {
    const now = this.now();
    const known = this.#discovered.get(provider.id);
    if (known && now - known.at < REFRESH_MS) return known.configuration;
    const failed = this.#failed.get(provider.id);
    if (failed) {
      const wait = Math.min(RETRY_FIRST_MS * 2 ** (failed.failures - 1), RETRY_MAX_MS) - (now - failed.at);
      // Stale metadata is better than none while the provider is briefly away.
      if (wait > 0) {
        if (known) return known.configuration;
        throw new ProviderUnavailable(failed.message, wait);
      }
    }
    let pending = this.#pending.get(provider.id);
    if (!pending) {
      pending = this.#discover(provider).finally(() => this.#pending.delete(provider.id));
      this.#pending.set(provider.id, pending);
    }
    try {
      return await pending;
    } catch (err) {
      if (known) return known.configuration;
      throw err;
    }
  }

  async #discover(provider: OidcProviderConfig): Promise<client.Configuration> {
    try {
      // Client authentication as the specification's default (HTTP Basic), which every provider
      // takes; plain http only for a provider on loopback (config refuses it elsewhere).
      const configuration = await client.discovery(new URL(provider.issuer), provider.clientId, { client_secret: provider.clientSecret }, client.ClientSecretBasic(provider.clientSecret), {
        timeout: REQUEST_TIMEOUT_SECONDS,
        ...(isLoopbackIssuer(provider.issuer) ? { execute: [client.allowInsecureRequests] } : {}),
      });
      if (!configuration.serverMetadata().supportsPKCE('S256')) {
        // Not advertised is common (Google says nothing about PKCE yet supports it); only a provider that lists methods without S256 is refused.
        const methods = configuration.serverMetadata().code_challenge_methods_supported;
        if (methods?.length) throw new Error(`it does not support PKCE with S256 (it lists ${methods.join(', ')})`);
      }
      this.#discovered.set(provider.id, { at: this.now(), configuration });
      this.#failed.delete(provider.id);
      return configuration;
    } catch (err) {
      const failures = (this.#failed.get(provider.id)?.failures ?? 0) + 1;
      const cause = describe(err);
      const message = `${provider.name} cannot be used for sign-in right now: its OpenID configuration at ${provider.issuer}/.well-known/openid-configuration could not be read (${cause}). Try again in a minute; if it keeps failing, an admin should check the issuer in CODEYARD_OIDC_PROVIDERS.`;
      this.#failed.set(provider.id, { at: this.now(), failures, message });
      throw new ProviderUnavailable(message, Math.min(RETRY_FIRST_MS * 2 ** (failures - 1), RETRY_MAX_MS));
    }
  }
}

/** A short reason from a fetch or openid-client error (the cause of a failed fetch holds the network error). */
export function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; claim?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${REQUEST_TIMEOUT_SECONDS} s`;
  if (e?.message === 'fetch failed') {
    const code = e.cause?.code;
    if (code === 'UND_ERR_SOCKET') return 'the connection was closed';
    return code ?? e.cause?.message ?? 'fetch failed';
  }
  // openid-client wraps oauth4webapi's error, whose cause names the claim that did not match (nonce, iss, aud).
  let code = e?.code;
  let claim: string | undefined;
  for (let cause: unknown = e?.cause, depth = 0; cause && typeof cause === 'object' && depth < 3; cause = (cause as { cause?: unknown }).cause, depth++) {
    const c = cause as { code?: unknown; claim?: unknown };
    if (typeof c.code === 'string') code ??= c.code;
    if (typeof c.claim === 'string') claim = c.claim;
  }
  return `${e?.message ?? String(err)}${code ? ` [${code}]` : ''}${claim ? ` (claim ${claim})` : ''}`;
}
