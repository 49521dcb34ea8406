import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { configPath, readConfig } from '../src/config.js';
import { EXIT } from '../src/exit-codes.js';
import { ApiDouble } from './helpers/api-double.js';
import { runWith, tempHome } from './helpers/run-cli.js';

/**
 * A double of the device flow as AUTH-CONTRACT.md fixes it (the tokens branch builds the real
 * one): POST /api/auth/device hands out a code; each poll of /api/auth/device/token answers
 * the next scripted outcome (AUTHORIZATION_PENDING, SLOW_DOWN, …) until one grants a token.
 */
class DeviceFlowDouble {
  outcomes: Array<{ code: string; interval?: number } | 'grant'> = [];
  polls: unknown[] = [];
  constructor(readonly api: ApiDouble) {
    api.json('POST /api/auth/device', 200, {
      deviceCode: 'dev-123',
      userCode: 'WDJB-MJHT',
      verificationUri: 'http://portal.test/device',
      verificationUriComplete: 'http://portal.test/device?code=WDJB-MJHT',
      expiresIn: 600,
      interval: 5,
    });
    api.on('POST /api/auth/device/token', (req, res) => {
      this.polls.push(JSON.parse(req.body.toString()));
      const next = this.outcomes.shift() ?? { code: 'AUTHORIZATION_PENDING' };
      if (typeof next === 'object' && 'interval' in next) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: next.code, message: 'wait', details: { interval: next.interval } } }));
      if (next === 'grant') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'cyp_granted', tokenId: 't1', account: { id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'admin' } }));
      } else res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: next.code, message: next.code.toLowerCase() } }));
    });
  }
}

describe('login (device flow, against its double), logout, whoami', () => {
  let api: ApiDouble;
  let flow: DeviceFlowDouble;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    api = await new ApiDouble().start();
    flow = new DeviceFlowDouble(api);
  });
  beforeEach(() => {
    home = tempHome();
    env = { XDG_CONFIG_HOME: home };
    api.requests.length = 0;
    flow.polls.length = 0;
  });
  after(() => api.close());

  it('shows the code and link, opens the browser, polls at the interval (5 s more after SLOW_DOWN) and stores the token 0600', async () => {
    flow.outcomes = [{ code: 'AUTHORIZATION_PENDING' }, { code: 'SLOW_DOWN' }, { code: 'AUTHORIZATION_PENDING' }, 'grant'];
    const sleeps: number[] = [];
    const ran = await runWith(['login', '--server', api.url], { env, sleeps });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, /open http:\/\/portal\.test\/device\?code=WDJB-MJHT\nand check that it shows the code WDJB-MJHT/);
    assert.deepEqual(ran.opened, ['http://portal.test/device?code=WDJB-MJHT']);
    assert.deepEqual(sleeps, [5000, 5000, 10_000, 10_000]);
    assert.deepEqual(flow.polls, [{ deviceCode: 'dev-123' }, { deviceCode: 'dev-123' }, { deviceCode: 'dev-123' }, { deviceCode: 'dev-123' }]);
    assert.deepEqual(JSON.parse(api.requests[0]!.body.toString()), { client: 'codeyard CLI', name: 'codeyard CLI on test-host' });
    assert.equal(api.requests[0]!.headers.authorization, undefined, 'the device flow starts without a token');
    assert.match(ran.stdout, /Signed in to http:\/\/127\.0\.0\.1:\d+ as ada@example\.com\./);
    const file = configPath(env);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readConfig(file), { current: api.url, servers: { [api.url]: { token: 'cyp_granted' } } });
  });

  it("takes the interval a SLOW_DOWN names when it is longer than RFC 8628's 5 s step", async () => {
    flow.outcomes = [{ code: 'SLOW_DOWN', interval: 30 }, 'grant'];
    const sleeps: number[] = [];
    assert.equal((await runWith(['login', '--server', api.url], { env, sleeps })).code, 0);
    assert.deepEqual(sleeps, [5000, 30_000]);
  });

  it('prints the link without opening anything with --no-browser, and says the result as JSON', async () => {
    flow.outcomes = ['grant'];
    const ran = await runWith(['login', '--server', api.url, '--no-browser', '--json'], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(ran.opened, []);
    assert.match(ran.stderr, /WDJB-MJHT/, 'the code is shown even with --json: a person needs it');
    assert.deepEqual(ran.json(), { server: api.url, account: { id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'admin' }, tokenId: 't1' });
  });

  it('fails with 3 and stores nothing when the sign-in is denied or the code expires', async () => {
    for (const [code, said] of [
      ['ACCESS_DENIED', /denied in the browser/],
      ['EXPIRED_TOKEN', /WDJB-MJHT expired before it was approved/],
    ] as const) {
      flow.outcomes = [{ code: 'AUTHORIZATION_PENDING' }, { code }];
      const ran = await runWith(['login', '--server', api.url], { env });
      assert.equal(ran.code, EXIT.AUTH, ran.stderr);
      assert.match(ran.stderr, said);
      assert.equal(fs.existsSync(configPath(env)), false);
    }
  });

  it('stops polling when the code runs out, even if the server keeps saying pending', async () => {
    flow.outcomes = [];
    let clock = 0;
    // The double's code lives 600 s; each poll here "takes" 5 s of a clock the test moves.
    const sleeps: number[] = [];
    const originalNow = Date.now;
    Date.now = () => originalNow() + (clock += 5000);
    try {
      const ran = await runWith(['login', '--server', api.url], { env, sleeps });
      assert.equal(ran.code, EXIT.AUTH);
      assert.match(ran.stderr, /was not approved in time/);
      assert.ok(sleeps.length <= 130, `polled ${sleeps.length} times`);
    } finally {
      Date.now = originalNow;
    }
  });

  it('says a server without device sign-in has none (4), and Ctrl-C while waiting exits 130', async () => {
    const bare = await new ApiDouble().start();
    try {
      const ran = await runWith(['login', '--server', bare.url], { env });
      assert.equal(ran.code, EXIT.NOT_FOUND);
      assert.match(ran.stderr, /has no device sign-in .*CODEYARD_TOKEN/);
    } finally {
      await bare.close();
    }
    const interrupt = new AbortController();
    interrupt.abort();
    const stopped = await runWith(['login', '--server', api.url], { env, interrupt: interrupt.signal });
    assert.equal(stopped.code, EXIT.INTERRUPTED);
  });

  it('logout revokes the token on the server (DELETE /api/tokens/current with it) and forgets it; a token already dead is forgotten too', async () => {
    flow.outcomes = ['grant'];
    assert.equal((await runWith(['login', '--server', api.url], { env })).code, 0);
    api.on('DELETE /api/tokens/current', (_req, res) => void res.writeHead(204).end());
    const out = await runWith(['logout', '--json'], { env });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.json(), { server: api.url, revoked: true, forgotten: true });
    const revoke = api.requests.find((r) => r.method === 'DELETE')!;
    assert.equal(revoke.headers.authorization, 'Bearer cyp_granted');
    assert.deepEqual(readConfig(configPath(env)), { servers: {} });
    assert.equal(fs.statSync(configPath(env)).mode & 0o777, 0o600);

    flow.outcomes = ['grant'];
    await runWith(['login', '--server', api.url], { env });
    api.error('DELETE /api/tokens/current', 401, 'UNAUTHENTICATED', 'the token was revoked');
    const dead = await runWith(['logout', '--json'], { env });
    assert.equal(dead.code, 0);
    assert.deepEqual(dead.json(), { server: api.url, revoked: true, forgotten: true });
    assert.equal((await runWith(['logout', '--server', api.url], { env })).stdout, `Not signed in to ${api.url}; nothing to do.\n`);
  });

  it('whoami shows the account and where the token comes from', async () => {
    api.json('GET /api/me', 200, { id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'admin', anonymous: false, authMode: 'owner' });
    const ran = await runWith(['whoami', '--server', api.url], { env: { ...env, CODEYARD_TOKEN: 'cyp_env' } });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, `ada@example.com (admin) on ${api.url}, token from CODEYARD_TOKEN\n`);
    assert.equal(api.requests.at(-1)!.headers.authorization, 'Bearer cyp_env');
    api.error('GET /api/me', 401, 'UNAUTHENTICATED', 'the token expired');
    const expired = await runWith(['whoami', '--server', api.url], { env: { ...env, CODEYARD_TOKEN: 'cyp_old' } });
    assert.equal(expired.code, EXIT.AUTH);
    assert.match(expired.stderr, /the token expired.*codeyard login/);
  });
});
