import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OidcFlow, OidcSignInError } from '../../src/accounts/oidc/oidc-flow.js';
import { OidcProviders, ProviderUnavailable } from '../../src/accounts/oidc/oidc-providers.js';
import { parseOidcProviders } from '../../src/accounts/oidc/provider-config.js';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { authorizeAtProvider, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-test-provider.js';

/**
 * The relying party's half of "Sign in with …" (openid-client) against a real OpenID provider
 * (oidc-provider on loopback), without the portal: discovery, the code flow with PKCE, and the
 * checks that make a stolen, replayed or altered answer sign nobody in. The portal routes and
 * account linking are tested in test/api/oidc-signin.test.ts.
 */
const ORIGIN = 'http://localhost:8080';
const CALLBACK = `${ORIGIN}/auth/oidc/test/callback`;

describe('OpenID Connect flow against a real provider', () => {
  let op: TestOidcProvider;
  let database: Database;
  let providers: OidcProviders;
  let flow: OidcFlow;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-oidc-flow-'));

  before(async () => {
    op = await startOidcProvider({
      redirectUris: [CALLBACK],
      users: { alice: { email: 'Alice@Example.com', email_verified: true, name: 'Alice' }, mallory: { email: 'boss@example.com', email_verified: false } },
    });
    database = await openDatabase({ dataDir, log: console });
    const [config] = parseOidcProviders(JSON.stringify([{ id: 'test', name: 'Test ID', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret }]));
    providers = new OidcProviders([config!], ORIGIN);
    flow = new OidcFlow(providers, database.oidcFlows);
  });
  after(async () => {
    await op.close();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const provider = () => providers.get('test')!;
  const finish = (token: string | undefined, callbackUrl: string) => flow.finish(provider(), token, new URL(callbackUrl).searchParams);
  const refused = (code: string) => (err: unknown) => err instanceof OidcSignInError && err.code === code;

  it('asks for a code with PKCE (S256), state, nonce and the registered redirect URI', async () => {
    const { url } = await flow.start(provider());
    const query = new URL(url).searchParams;
    assert.equal(new URL(url).origin, op.issuer);
    assert.equal(query.get('response_type'), 'code');
    assert.equal(query.get('code_challenge_method'), 'S256');
    assert.match(query.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok(query.get('state') && query.get('nonce'));
    assert.equal(query.get('redirect_uri'), CALLBACK);
    assert.deepEqual(query.get('scope')?.split(' ').sort(), ['email', 'openid', 'profile']);
  });

  it("signs in: the provider's subject, verified address and name come back", async () => {
    const browser = new CookieBrowser();
    const { token, url } = await flow.start(provider());
    const callback = await authorizeAtProvider(browser, url, 'alice', CALLBACK);
    const { identity } = await finish(token, callback);
    assert.deepEqual(identity, { issuer: op.issuer, subject: 'alice', email: 'Alice@Example.com', emailVerified: true, name: 'Alice' });
  });

  it('says when the provider did not verify the address', async () => {
    const { token, url } = await flow.start(provider());
    const { identity } = await finish(token, await authorizeAtProvider(new CookieBrowser(), url, 'mallory', CALLBACK));
    assert.equal(identity.email, 'boss@example.com');
    assert.equal(identity.emailVerified, false);
  });

  it('refuses a callback replayed after it signed in (the flow is used up)', async () => {
    const { token, url } = await flow.start(provider());
    const callback = await authorizeAtProvider(new CookieBrowser(), url, 'alice', CALLBACK);
    await finish(token, callback);
    await assert.rejects(finish(token, callback), refused('expired'));
  });

  it("refuses a callback in a browser that did not start the flow (another's code, no cookie or another cookie)", async () => {
    const victim = await flow.start(provider());
    const attacker = await flow.start(provider());
    const attackersCallback = await authorizeAtProvider(new CookieBrowser(), attacker.url, 'mallory', CALLBACK);
    await assert.rejects(finish(undefined, attackersCallback), refused('expired'));
    // The victim's browser has its own flow, with its own state: the attacker's answer does not fit it.
    await assert.rejects(finish(victim.token, attackersCallback), refused('expired'));
  });

  it('refuses a wrong state, and the flow is gone after it', async () => {
    const { token, url } = await flow.start(provider());
    const callback = new URL(await authorizeAtProvider(new CookieBrowser(), url, 'alice', CALLBACK));
    callback.searchParams.set('state', 'not-the-state-this-browser-sent');
    await assert.rejects(finish(token, callback.href), refused('expired'));
    callback.searchParams.set('state', new URL(url).searchParams.get('state')!);
    await assert.rejects(finish(token, callback.href), refused('expired'));
  });

  it('refuses an ID token with another nonce than this flow sent', async () => {
    // The authorization request altered on its way to the provider: the provider signs a token
    // for the altered nonce (state and PKCE still fit), as with a code obtained for another request.
    const { token, url } = await flow.start(provider());
    const altered = new URL(url);
    altered.searchParams.set('nonce', 'a-nonce-this-browser-never-made');
    const callback = await authorizeAtProvider(new CookieBrowser(), altered.href, 'alice', CALLBACK);
    await assert.rejects(finish(token, callback), (err) => refused('invalid')(err) && /nonce/i.test((err as Error).message));
  });

  it('refuses a code redeemed with another PKCE verifier', async () => {
    const { token, url } = await flow.start(provider());
    const altered = new URL(url);
    // A challenge this flow's verifier does not answer: the provider refuses the exchange.
    altered.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const callback = await authorizeAtProvider(new CookieBrowser(), altered.href, 'alice', CALLBACK);
    await assert.rejects(finish(token, callback), refused('invalid'));
  });

  it('takes a cancelled sign-in as cancelled', async () => {
    const { token, url } = await flow.start(provider());
    const state = new URL(url).searchParams.get('state')!;
    await assert.rejects(finish(token, `${CALLBACK}?error=access_denied&state=${state}`), refused('denied'));
  });

  it('refuses an expired flow', async () => {
    let now = Date.now();
    const late = new OidcFlow(providers, database.oidcFlows, () => now);
    const { token, url } = await late.start(provider());
    const callback = await authorizeAtProvider(new CookieBrowser(), url, 'alice', CALLBACK);
    now += 11 * 60_000;
    await assert.rejects(late.finish(provider(), token, new URL(callback).searchParams), refused('expired'));
  });

  it('says clearly when the provider is down, waits before trying again, and works once it is back', async () => {
    const [config] = parseOidcProviders(JSON.stringify([{ id: 'test', name: 'Test ID', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret }]));
    let now = Date.now();
    const fresh = new OidcProviders([config!], ORIGIN, () => now);
    await op.stop();
    try {
      await assert.rejects(fresh.configuration(config!), (err) => err instanceof ProviderUnavailable && /Test ID cannot be used for sign-in right now/.test(err.message) && /ECONNREFUSED|connection was closed/.test(err.message) && err.retryInMs === 2000);
      await op.restart();
      // Within the pause the answer is the same, at once, without asking the provider.
      await assert.rejects(fresh.configuration(config!), ProviderUnavailable);
      now += 2_001;
      const configuration = await fresh.configuration(config!);
      assert.equal(configuration.serverMetadata().issuer, op.issuer);
    } finally {
      await op.restart();
    }
  });
});
