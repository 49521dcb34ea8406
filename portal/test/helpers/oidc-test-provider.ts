import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { CookieBrowser, Hop } from './cookie-browser.js';

/** A person the test provider knows (the login form takes the id; any password passes). */
export interface TestOidcUser {
  email?: string;
  email_verified?: boolean | string;
  name?: string;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: the issuer identifier. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Redirect URIs the client may use; a test adds its portal's once it knows the port. */
  redirectUris: string[];
  /** People by login id (the ID token's `sub`); change them between sign-ins (an address that changed). */
  users: Map<string, TestOidcUser>;
  /** Stops answering (a provider that is down) or starts again on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (the `oidc-provider` package, as certified by the OpenID Foundation) on
 * a loopback port, for tests: one confidential client with the given redirect URIs, its own
 * signing key, and its development login and consent pages (a form that takes any login id).
 * Its claims come from `users`, so tests choose who has a verified address.
 */
export async function startOidcProvider(options: { redirectUris?: string[]; users?: Record<string, TestOidcUser> } = {}): Promise<TestOidcProvider> {
  const redirectUris = [...(options.redirectUris ?? [])];
  const users = new Map(Object.entries(options.users ?? {}));
  const clientId = 'codeyard-test';
  const clientSecret = 'test-secret-that-is-long-enough-for-hmac-0123456789';
  // Listen first: the issuer is the address the server got.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: ['http://127.0.0.1/registered-later'], grant_types: ['authorization_code'], response_types: ['code'] }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['cookie-key-for-the-test-provider'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    pkce: { required: () => true },
    async findAccount(_ctx, sub) {
      const user = users.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...users.get(sub) }) };
    },
  } as ConstructorParameters<typeof Provider>[1]);
  // Exact matches against a list the test can extend (the provider's own check reads only the static registration).
  (provider.Client.prototype as unknown as { redirectUriAllowed(uri: string): boolean }).redirectUriAllowed = (uri: string) => redirectUris.includes(uri);
  server.on('request', provider.callback());
  let listening = true;
  const stop = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUris,
    users,
    stop,
    async restart() {
      if (listening) return;
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      listening = true;
    },
    close: stop,
  };
}

/**
 * Goes through the provider's own pages as a person would, over HTTP: from the authorization
 * URL to its login form (signing in as `login`), then its consent form, until the provider
 * redirects back to `callbackPrefix`. Answers that callback URL without opening it, so a test
 * can open it as it is, in another browser, twice, or changed.
 */
export async function authorizeAtProvider(browser: CookieBrowser, authorizationUrl: string, login: string, callbackPrefix: string): Promise<string> {
  const backHome = (hop: Hop): boolean => hop.location?.startsWith(callbackPrefix) === true;
  let hops = await browser.navigate(authorizationUrl, {}, backHome);
  // At most a login and a consent page (the provider skips consent it already has).
  for (let page = 0; page < 3; page++) {
    const last = hops.at(-1)!;
    if (backHome(last)) return last.location!;
    const prompt = /name="prompt" value="(login|consent)"/.exec(last.body)?.[1];
    if (last.status !== 200 || !prompt) throw new Error(`the provider answered ${last.status} at ${last.url}, not a login or consent page: ${last.body.slice(0, 300)}`);
    const form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
    hops = await browser.navigate(last.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }, backHome);
  }
  throw new Error(`the provider never sent the browser back to ${callbackPrefix}`);
}
