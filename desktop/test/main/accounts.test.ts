import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SignInProgress } from '../../src/shared/ipc-channels.js';
import { Accounts, partitionFor } from '../../src/main/accounts.js';
import { checkAuthorization, deviceSignIn, SignInError } from '../../src/main/device-sign-in.js';
import { PortalClient } from '../../src/main/portal-client.js';
import { ServerStore } from '../../src/main/server-store.js';
import { DeviceFlowServerDouble, safeStorageDouble } from '../helpers/doubles.js';

/** No real waiting: each sleep records how long it was asked to last. */
function clock() {
  const state = { now: 0, slept: [] as number[] };
  return { state, now: () => state.now, sleep: async (ms: number) => void (state.slept.push(ms), (state.now += ms)) };
}

describe('device sign-in (against the contract double on loopback)', () => {
  let server: DeviceFlowServerDouble;
  before(async () => (server = await new DeviceFlowServerDouble().start()));
  after(() => server.close());

  const run = (overrides: Partial<Parameters<typeof deviceSignIn>[0]> = {}) => {
    const c = clock();
    const opened: string[] = [];
    const codes: string[] = [];
    const result = deviceSignIn({ client: new PortalClient({ server: server.origin }), name: 'Codeyard Desktop on test', openExternal: async (u) => void opened.push(u), onCode: (a) => codes.push(a.userCode), ...c, ...overrides });
    return { result, opened, codes, c };
  };

  it('opens the approval page in the system browser, shows the code, polls at the interval and gets the token', async () => {
    server.polls = ['pending', 'pending', 'approve'];
    server.calls.length = 0;
    const { result, opened, codes, c } = run();
    const token = await result;
    assert.equal(token.token, 'cyp_issued_by_the_double');
    assert.deepEqual(opened, [`${server.origin}/device?code=WDJB-MJHT`]);
    assert.deepEqual(codes, ['WDJB-MJHT']);
    assert.deepEqual(c.state.slept, [1000, 1000, 1000]);
    assert.deepEqual(server.calls[0]!.body, { client: 'codeyard-desktop', name: 'Codeyard Desktop on test' });
    assert.equal(server.calls[0]!.authorization, undefined, 'no token is sent to start a sign-in');
  });

  it('slows down by five seconds when told to', async () => {
    server.polls = ['slow', 'pending', 'approve'];
    const { result, c } = run();
    await result;
    assert.deepEqual(c.state.slept, [1000, 6000, 6000]);
  });

  it('ends with what happened: denied, expired (by the server or the clock)', async () => {
    server.polls = ['pending', 'denied'];
    await assert.rejects(run().result, (e: SignInError) => e.reason === 'denied');
    server.polls = ['expired'];
    await assert.rejects(run().result, (e: SignInError) => e.reason === 'expired' && /expired before it was approved/.test(e.message));
    server.polls = ['pending'];
    server.expiresIn = 10;
    await assert.rejects(run().result, (e: SignInError) => e.reason === 'expired');
    server.expiresIn = 600;
  });

  it('never opens a page on another site, whatever the server answers', async () => {
    server.verificationOrigin = 'https://phishing.example';
    const { result, opened } = run();
    await assert.rejects(result, (e: SignInError) => e.reason === 'bad-answer' && /on another site \(https:\/\/phishing.example\)/.test(e.message));
    assert.deepEqual(opened, []);
    server.verificationOrigin = undefined;
    const base = { deviceCode: 'd', userCode: 'ABCD-EFGH', verificationUri: `${server.origin}/device`, verificationUriComplete: `${server.origin}/device?code=x`, expiresIn: 600, interval: 5 };
    assert.throws(() => checkAuthorization({ ...base, interval: 0 }, server.origin), /interval/);
    assert.throws(() => checkAuthorization({ ...base, userCode: '<script>' }, server.origin), /odd user code/);
    assert.throws(() => checkAuthorization({ ...base, verificationUriComplete: 'javascript:alert(1)' }, server.origin), /another site|valid/);
  });

  it('stops polling when cancelled', async () => {
    server.polls = ['pending'];
    const abort = new AbortController();
    const c = clock();
    const sleep = async (ms: number) => {
      await c.sleep(ms);
      if (c.state.slept.length === 2) abort.abort();
    };
    await assert.rejects(run({ signal: abort.signal, sleep }).result, (e: SignInError) => e.reason === 'cancelled');
  });

  it('says when a server has no device sign-in (older than #14), offering the guest way', async () => {
    // What today's main answers: Fastify's 404 for a route it does not have.
    const missing = new PortalClient({ server: server.origin, fetch: (async () => new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Route POST:/api/auth/device not found' } }), { status: 404 })) as typeof fetch });
    await assert.rejects(run({ client: missing }).result, (e: SignInError) => e.reason === 'unsupported' && /continue as a guest/.test(e.message));
  });
});

describe('Accounts: sign-in kept with safeStorage, sign-out revokes', () => {
  let server: DeviceFlowServerDouble;
  before(async () => (server = await new DeviceFlowServerDouble().start()));
  after(() => server.close());

  const setup = () => {
    const store = new ServerStore({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'cy-desktop-acc-')), safeStorage: safeStorageDouble() });
    store.add(server.origin);
    const progress: SignInProgress[] = [];
    const cleared: string[] = [];
    const changed: string[] = [];
    const c = clock();
    const accounts = new Accounts({
      store,
      clientFor: (s) => new PortalClient({ server: s, token: () => store.token(s) }),
      openExternal: async () => undefined,
      clearPartition: async (p) => void cleared.push(p),
      hostName: 'laptop',
      ...c,
      onProgress: (p) => progress.push(p),
      onChange: (s) => changed.push(s),
    });
    return { store, accounts, progress, cleared, changed };
  };

  const settled = async (progress: SignInProgress[]) => {
    for (let i = 0; i < 200 && !progress.some((p) => p.state !== 'waiting'); i++) await new Promise((r) => setImmediate(r));
  };

  it('stores the issued token encrypted and tells the page each step', async () => {
    server.polls = ['pending', 'approve'];
    const { store, accounts, progress, changed } = setup();
    accounts.signIn(server.origin);
    await settled(progress);
    assert.deepEqual(progress.map((p) => p.state), ['waiting', 'done']);
    assert.equal(store.token(server.origin), 'cyp_issued_by_the_double');
    assert.equal(store.summary(server.origin)?.account?.email, 'ada@example.com');
    assert.deepEqual(changed, [server.origin]);
    assert.equal(server.calls.find((c) => c.path === 'POST /api/auth/device')?.body.name, 'Codeyard Desktop on laptop');
  });

  it('signs out: DELETE /api/tokens/current with the token, then forgets it and wipes the partition', async () => {
    server.polls = ['approve'];
    const { store, accounts, progress, cleared } = setup();
    accounts.signIn(server.origin);
    await settled(progress);
    const result = await accounts.signOut(server.origin);
    assert.deepEqual(result, { revoked: true, message: `signed out of ${server.origin}; the token is revoked` });
    assert.ok(server.revoked.has('Bearer cyp_issued_by_the_double'));
    assert.equal(store.token(server.origin), undefined);
    assert.deepEqual(cleared, [partitionFor(server.origin)]);
  });

  it('forgets the token even when the server cannot revoke it, and says what to do', async () => {
    for (const [status, why] of [
      [401, /no longer valid/],
      [404, /cannot revoke tokens/],
      [400, /guest sign-in cannot be revoked/],
    ] as const) {
      const { store, accounts } = setup();
      store.setToken(server.origin, 'cy_legacy');
      server.tokenStatus = status;
      const result = await accounts.signOut(server.origin);
      assert.match(result.message, why);
      assert.equal(store.token(server.origin), undefined);
    }
    server.tokenStatus = 204;
    const { store, accounts } = setup();
    store.add('http://127.0.0.1:9'); // nothing listens on the discard port
    store.setToken('http://127.0.0.1:9', 'cyp_x');
    const result = await accounts.signOut('http://127.0.0.1:9');
    assert.deepEqual([result.revoked, /could not revoke the token/.test(result.message)], [false, true]);
    assert.equal(store.token('http://127.0.0.1:9'), undefined);
  });

  it('refuses to sign in to a server the user did not add', () => {
    const { accounts } = setup();
    assert.throws(() => accounts.signIn('https://never-added.example'), /not one of your servers/);
  });

  it('gives each server a partition of its own', () => {
    assert.notEqual(partitionFor('http://localhost:8080'), partitionFor('https://codeyard.example.com'));
    assert.match(partitionFor('http://localhost:8080'), /^persist:codeyard-[0-9a-f]{16}$/);
  });
});
