import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiToken, CreatedToken, DeviceRequest, DeviceStarted, DeviceTokenGranted } from '@codeyard/common/api/tokens';
import { assertError, DIALECTS, startTokenPortal, type TokenPortal } from './token-portal.js';

for (const dialect of DIALECTS) {
  /**
   * Device sign-in through the HTTP API on the real database: the happy path, each answer a poll
   * can get, a replayed code, and who may NOT see or approve a sign-in (no session, another
   * origin, a bearer token, an API token).
   */
  describe(`device sign-in (${dialect.name}; MemoryRuntime, MemoryStore)`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let alice: string;
    /** Each test starts its sign-ins from an address of its own (starts are limited per address). */
    let nextAddress = 10;

    const start = async (body: Record<string, unknown> = { client: 'codeyard CLI', name: 'codeyard CLI on laptop' }): Promise<DeviceStarted> => {
      const res = await t.call({ address: `127.0.1.${nextAddress++}` }, 'POST', '/api/auth/device', body);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<DeviceStarted>();
    };
    const poll = (started: DeviceStarted) => t.call({}, 'POST', '/api/auth/device/token', { deviceCode: started.deviceCode });
    const answer = (started: DeviceStarted, approve: boolean, caller: Parameters<TokenPortal['call']>[0] = { cookie: alice }) =>
      t.call({ address: `127.0.2.${nextAddress++}`, ...caller }, 'POST', '/api/auth/device/approve', { userCode: started.userCode, approve });
    /** Moves the portal's clock past the poll interval. */
    const wait = (seconds = 5) => (t.clock.now += seconds * 1000);

    before(async () => {
      t = await startTokenPortal(dialect.name, { CODEYARD_RATE_DEVICE_CODES_PER_MINUTE: '3' });
      alice = await t.session();
    });
    after(async () => t?.close());

    it('signs a device in: code, approval in the browser, then one token for the account', async () => {
      const started = await start();
      assert.match(started.userCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      assert.equal(started.verificationUri, `${t.origin}/device`);
      assert.equal(started.verificationUriComplete, `${t.origin}/device?code=${started.userCode}`);
      assert.equal(started.expiresIn, 600);
      assert.equal(started.interval, 5);

      assertError(await poll(started), 400, 'AUTHORIZATION_PENDING', /approve/);
      const fast = await poll(started);
      assertError(fast, 400, 'SLOW_DOWN', /wait 10 s/);
      assert.equal(fast.json().error.details.interval, 10);

      const shown = await t.call({ cookie: alice }, 'GET', `/api/auth/device/${started.userCode}`);
      assert.equal(shown.statusCode, 200, shown.body);
      const { createdAt, expiresAt, ...request } = shown.json<DeviceRequest>();
      assert.deepEqual(request, { userCode: started.userCode, client: 'codeyard CLI', name: 'codeyard CLI on laptop', address: '127.0.1.10' }, 'who asks, and from where');
      assert.equal(Date.parse(expiresAt) - Date.parse(createdAt), 600_000);
      const approved = await answer(started, true);
      assert.equal(approved.statusCode, 200, approved.body);
      assert.deepEqual(approved.json(), { status: 'approved', client: 'codeyard CLI', name: 'codeyard CLI on laptop' });

      wait(10);
      const granted = await poll(started);
      assert.equal(granted.statusCode, 200, granted.body);
      const { token, tokenId, account } = granted.json<DeviceTokenGranted>();
      assert.match(token, /^cyp_/);
      const me = (await t.call({ bearer: token }, 'POST', '/api/tokens', { name: 'from the device', expiresInDays: 1 })).json<CreatedToken>();
      assert.ok(me.token, 'the token acts with write');
      const listed = (await t.call({ bearer: alice }, 'GET', '/api/tokens')).json<ApiToken[]>();
      const issued = listed.find((x) => x.id === tokenId)!;
      assert.equal(issued.name, 'codeyard CLI on laptop');
      assert.deepEqual(issued.scopes, ['read', 'write']);
      assert.equal(Date.parse(issued.expiresAt) - Date.parse(issued.createdAt), 90 * 24 * 3600_000);
      assert.ok(listed.some((x) => x.id === me.id), "the device acts as alice's account");
      const row = await t.database.db.selectFrom('api_tokens').select('account_id').where('id', '=', tokenId).executeTakeFirstOrThrow();
      assert.deepEqual(account, { id: row.account_id, role: 'member' }, 'and says which');

      wait(10);
      assertError(await poll(started), 400, 'EXPIRED_TOKEN', /signs in once/, 'a replayed device code');
      assertError(await answer(started, true), 409, 'CONFLICT', /approved already/, 'an answered code');
    });

    it('tells the device ACCESS_DENIED when the user denies', async () => {
      const started = await start();
      const denied = await answer(started, false);
      assert.equal(denied.json().status, 'denied');
      assertError(await poll(started), 400, 'ACCESS_DENIED', /denied/);
    });

    it('expires a sign-in after ten minutes: EXPIRED_TOKEN to the device, 404 to the browser', async () => {
      const started = await start();
      wait(600);
      assertError(await poll(started), 400, 'EXPIRED_TOKEN', /expired/);
      assertError(await answer(started, true), 404, 'NOT_FOUND', /expired/);
      assertError(await t.call({}, 'POST', '/api/auth/device/token', { deviceCode: 'not-a-device-code' }), 400, 'EXPIRED_TOKEN', /unknown/);
    });

    it('lets only a signed-in browser on the portal page see or answer a sign-in, never a token', async () => {
      const started = await start();
      const writer = (await t.call({ bearer: alice }, 'POST', '/api/tokens', { name: 'writer' })).json<CreatedToken>();
      assertError(await answer(started, true, { cookie: undefined }), 401, 'UNAUTHENTICATED', undefined, 'no session');
      assertError(await answer(started, true, { cookie: alice, origin: 'http://evil.example' }), 403, 'FORBIDDEN', /cross-origin/, 'another site');
      assertError(await answer(started, true, { cookie: alice, origin: null }), 403, 'FORBIDDEN', /without an Origin/, 'no Origin');
      assertError(await answer(started, true, { bearer: writer.token }), 403, 'FORBIDDEN', /bearer token cannot/, 'an API token with write');
      assertError(await answer(started, true, { bearer: alice }), 403, 'FORBIDDEN', /bearer token cannot/, "the account's own token as a bearer");
      assertError(await t.call({ bearer: writer.token }, 'GET', `/api/auth/device/${started.userCode}`), 403, 'FORBIDDEN', undefined, 'a token cannot look one up');
      assertError(await poll(started), 400, 'AUTHORIZATION_PENDING', undefined, 'still waiting after all of that');
    });

    it('refuses codes that are not codes, and unknown ones', async () => {
      assertError(await t.call({ cookie: alice }, 'GET', '/api/auth/device/WDJB-MJH0'), 400, 'VALIDATION', /8 letters/);
      assertError(await t.call({ cookie: alice }, 'GET', '/api/auth/device/BCDF-GHJK'), 404, 'NOT_FOUND', /no sign-in waits/);
      assertError(await t.call({}, 'POST', '/api/auth/device', {}), 400, 'VALIDATION', /client/);
      assertError(await t.call({}, 'POST', '/api/auth/device', { client: 'x', scope: 'admin' }), 400, 'VALIDATION', /scope/);
      assertError(await t.call({}, 'POST', '/api/auth/device/token', {}), 400, 'VALIDATION', /deviceCode/);
    });

    it('limits new sign-ins per address (429 with Retry-After), not for other addresses', async () => {
      const address = '127.0.3.1';
      for (let i = 0; i < 3; i++) assert.equal((await t.call({ address }, 'POST', '/api/auth/device', { client: 'loop' })).statusCode, 200);
      const limited = await t.call({ address }, 'POST', '/api/auth/device', { client: 'loop' });
      assertError(limited, 429, 'RATE_LIMITED', /too many device sign-ins/);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await t.call({ address: '127.0.3.2' }, 'POST', '/api/auth/device', { client: 'loop' })).statusCode, 200);
    });
  });
}
