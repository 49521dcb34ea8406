import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseOidcProviders } from '../../src/accounts/oidc/provider-config.js';
import { ConfigError, loadConfig, redactConfig } from '../../src/config.js';

const google = { id: 'google', name: 'Google', issuer: 'https://accounts.google.com', clientId: 'id.apps.googleusercontent.com', clientSecret: 's3cret' };

describe('CODEYARD_OIDC_PROVIDERS', () => {
  it('reads a JSON array: defaults scopes to openid, email and profile, lowercases domains', () => {
    const [p] = parseOidcProviders(JSON.stringify([{ ...google, allowedDomains: ['School.EDU'] }]));
    assert.deepEqual(p, { ...google, allowedDomains: ['school.edu'], scopes: ['openid', 'email', 'profile'] });
  });

  it('always asks for openid and email, whatever scopes are given', () => {
    const [p] = parseOidcProviders(JSON.stringify([{ ...google, scopes: ['groups'] }]));
    assert.deepEqual(p!.scopes, ['openid', 'email', 'groups']);
  });

  it('reads a file, and a clientSecretFile relative to it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-oidc-conf-'));
    fs.writeFileSync(path.join(dir, 'secret'), 'from-a-file\n');
    const { clientSecret: _, ...rest } = google;
    fs.writeFileSync(path.join(dir, 'providers.json'), JSON.stringify([{ ...rest, clientSecretFile: 'secret' }]));
    assert.equal(parseOidcProviders(path.join(dir, 'providers.json'))[0]!.clientSecret, 'from-a-file');
    fs.rmSync(dir, { recursive: true });
  });

  const refusals: Array<[string, unknown, RegExp]> = [
    ['not JSON', '[{', /is not valid JSON/],
    ['not an array', '{"id":"x"}', /must be a JSON array/],
    ['a missing file', '/nonexistent/providers.json', /cannot be read \(ENOENT\)/],
    ['an entry that is not an object', ['google'], /provider 1 must be an object/],
    ['no issuer', [{ ...google, issuer: undefined }], /provider 1 \("google"\): "issuer" must be a non-empty string/],
    ['an http issuer elsewhere than loopback', [{ ...google, issuer: 'http://sso.example.com' }], /provider 1 \("google"\): "issuer" must be https:\/\//],
    ['an issuer with a query', [{ ...google, issuer: 'https://sso.example.com/?realm=x' }], /"issuer" must have no query/],
    ['a bad id', [{ ...google, id: 'Google SSO' }], /"id" must be 1-32 lowercase letters/],
    ['both secrets', [{ ...google, clientSecretFile: '/x' }], /give exactly one of "clientSecret" and "clientSecretFile"/],
    ['no secret', [{ ...google, clientSecret: undefined }], /give exactly one of "clientSecret" and "clientSecretFile"/],
    ['a bad domain', [{ ...google, allowedDomains: ['@school.edu'] }], /"allowedDomains" has "@school.edu", which is not a domain/],
    ['domains not a list', [{ ...google, allowedDomains: 'school.edu' }], /"allowedDomains" must be an array of strings/],
    ['an unknown field', [{ ...google, client_id: 'x' }], /unknown field "client_id"/],
    ['two with one id', [google, { ...google, name: 'Google again' }], /two providers have the id "google"/],
  ];
  for (const [what, value, message] of refusals) {
    it(`refuses ${what}, naming the entry and field`, () => {
      const env = { CODEYARD_OIDC_PROVIDERS: typeof value === 'string' ? value : JSON.stringify(value) };
      assert.throws(() => loadConfig(env), (err) => err instanceof ConfigError && err.message.startsWith('CODEYARD_OIDC_PROVIDERS') && message.test(err.message));
    });
  }

  it('keeps client secrets out of the logged configuration', () => {
    const config = loadConfig({ CODEYARD_OIDC_PROVIDERS: JSON.stringify([google]) });
    assert.equal(config.oidcProviders[0]!.clientSecret, 's3cret');
    assert.equal(JSON.stringify(redactConfig(config)).includes('s3cret'), false);
  });
});
