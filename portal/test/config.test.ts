import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('fills the defaults of a local install', () => {
    const config = loadConfig({ HOME: '/home/x' });
    assert.equal(config.port, 8080);
    assert.equal(config.bind, '127.0.0.1');
    assert.equal(config.domain, 'localhost');
    assert.equal(config.publicScheme, 'http');
    assert.equal(config.publicPort, 8080);
    assert.equal(config.cacheDir, process.getuid?.() === 0 ? '/var/cache/codeyard' : '/home/x/.cache/codeyard');
    assert.equal(config.sandbox, 'bubblewrap');
    // Nobody gets in without signing in: the owner link, then invites.
    assert.equal(config.authMode, 'owner');
    assert.equal(config.signup, 'invite');
    assert.deepEqual(config.trustedProxies, []);
    assert.equal(config.signinTtlMs, 30 * 24 * 3600_000);
    assert.ok(Object.isFrozen(config));
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT/],
    [{ CODEYARD_PUBLIC_SCHEME: 'ftp' }, /CODEYARD_PUBLIC_SCHEME must be http or https/],
    [{ CODEYARD_DOMAIN: 'not a domain' }, /CODEYARD_DOMAIN must be a DNS name/],
    [{ CODEYARD_DOMAIN: '*.example.com' }, /CODEYARD_DOMAIN/],
    [{ CODEYARD_TICKET_TTL_SECONDS: '1' }, /CODEYARD_TICKET_TTL_SECONDS/],
    [{ CODEYARD_LOG_LEVEL: 'loud' }, /CODEYARD_LOG_LEVEL/],
    [{ CODEYARD_SANDBOX: 'docker' }, /CODEYARD_SANDBOX must be bubblewrap or off/],
    [{ CODEYARD_REPL_NETWORK: 'everything' }, /CODEYARD_REPL_NETWORK must be internet, none or host/],
    [{ CODEYARD_DATABASE_URL: 'mysql://db/codeyard' }, /CODEYARD_DATABASE_URL must be a postgres:\/\/ URL/],
    [{ CODEYARD_DATABASE_URL: 'not a url' }, /CODEYARD_DATABASE_URL must be a URL/],
    [{ CODEYARD_LIMIT_MEMORY_MB: '64' }, /CODEYARD_LIMIT_MEMORY_MB must be a whole number from 256/],
    [{ CODEYARD_S3_FORCE_PATH_STYLE: 'maybe', CODEYARD_STORE: 's3://bucket' }, /CODEYARD_S3_FORCE_PATH_STYLE must be on or off/],
    [{ CODEYARD_AUTH: 'password' }, /CODEYARD_AUTH must be owner, accounts or anonymous/],
    [{ CODEYARD_SIGNUP: 'anyone' }, /CODEYARD_SIGNUP must be open, invite or closed/],
    [{ CODEYARD_TRUSTED_PROXIES: '10.0.0.0/33' }, /CODEYARD_TRUSTED_PROXIES must list addresses or CIDRs.*"10.0.0.0\/33"/],
    [{ CODEYARD_TRUSTED_PROXIES: '127.0.0.1, proxy.example.com' }, /"proxy.example.com" is none of those/],
    [{ CODEYARD_SIGNIN_DAYS: '0' }, /CODEYARD_SIGNIN_DAYS must be a whole number from 1 to 365/],
  ];
  for (const [env, message] of bad) {
    it(`names the variable: ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }

  it('reads trusted proxies as addresses, CIDRs and range names', () => {
    assert.deepEqual(loadConfig({ CODEYARD_TRUSTED_PROXIES: ' 127.0.0.1, 10.0.0.0/8 ,fd00::/8,::1,loopback' }).trustedProxies, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback']);
  });

  it('converts units once: sizes in bytes, durations in milliseconds', () => {
    const config = loadConfig({ CODEYARD_LIMIT_MEMORY_MB: '512', CODEYARD_LIMIT_DISK_MB: '100', CODEYARD_MAX_FILE_MB: '2', CODEYARD_IMPORT_MAX_MB: '3', CODEYARD_TICKET_TTL_SECONDS: '30', CODEYARD_SESSION_TTL_HOURS: '2', CODEYARD_SYNC_SCAN_SECONDS: '5' });
    assert.equal(config.limitMemoryBytes, 512 * 1024 * 1024);
    assert.equal(config.limitDiskBytes, 100 * 1024 * 1024);
    assert.equal(config.maxFileBytes, 2 * 1024 * 1024);
    assert.equal(config.importMaxBytes, 3 * 1024 * 1024);
    assert.equal(config.ticketTtlMs, 30_000);
    assert.equal(config.sessionTtlMs, 2 * 3600_000);
    assert.equal(config.syncScanMs, 5000);
  });

  it('keeps records in the SQLite file unless a PostgreSQL URL is given', () => {
    assert.equal(loadConfig({}).databaseUrl, undefined);
    assert.equal(loadConfig({ CODEYARD_DATABASE_URL: 'postgres://u:p@127.0.0.1/codeyard' }).databaseUrl, 'postgres://u:p@127.0.0.1/codeyard');
  });

  it('lets the public port differ from the listening port, or vanish behind a TLS proxy', () => {
    assert.equal(loadConfig({ PORT: '8080', CODEYARD_PUBLIC_PORT: '443', CODEYARD_PUBLIC_SCHEME: 'https' }).publicPort, 443);
    assert.equal(loadConfig({ CODEYARD_PUBLIC_PORT: '' }).publicPort, undefined);
  });

  it('reads an S3 store from CODEYARD_STORE, and refuses a malformed one', () => {
    const config = loadConfig({ CODEYARD_STORE: 's3://my-bucket/team/a', CODEYARD_S3_ENDPOINT: 'http://127.0.0.1:9000', CODEYARD_S3_ACCESS_KEY_ID: 'id', CODEYARD_S3_SECRET_ACCESS_KEY: 'secret' });
    assert.deepEqual(config.store, { kind: 's3', bucket: 'my-bucket', prefix: 'team/a/', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: { accessKeyId: 'id', secretAccessKey: 'secret' } });
    assert.equal(JSON.stringify(redactConfig(config)).includes('secret"'), false, 'the secret key is redacted');
    assert.equal(loadConfig({ CODEYARD_STORE: 's3://bucket-only' }).store.kind, 's3');
    assert.deepEqual(loadConfig({}).store, { kind: 'fs' });
    assert.throws(() => loadConfig({ CODEYARD_STORE: 'ftp://x' }), /CODEYARD_STORE must be fs or s3:\/\/bucket/);
    assert.throws(() => loadConfig({ CODEYARD_STORE: 's3://bucket/p', CODEYARD_S3_ACCESS_KEY_ID: 'id' }), /go together/);
  });

  it('never logs the signing key', () => {
    const config = loadConfig({ CODEYARD_SIGNING_KEY: 'ab'.repeat(32) });
    assert.equal(JSON.stringify(redactConfig(config)).includes('ab'.repeat(32)), false);
  });

  it("never logs the database URL's password", () => {
    const shown = redactConfig(loadConfig({ CODEYARD_DATABASE_URL: 'postgres://codeyard:s3cret-pw@db.internal:5432/codeyard' }));
    assert.equal(shown.databaseUrl, 'postgres://codeyard:[redacted]@db.internal:5432/codeyard');
    assert.equal(JSON.stringify(shown).includes('s3cret-pw'), false);
  });
});
