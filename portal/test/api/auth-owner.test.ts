import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertError, type AuthPortal, setCookie, startAuthPortal } from '../helpers/auth-portal.js';

const OWNER_LINK_CLI = fileURLToPath(new URL('../../src/owner-link-cli.js', import.meta.url));
const codeOf = (url: string): string => new URL(url).searchParams.get('code')!;

/**
 * Owner mode (the default): the data folder of an anonymous-mode portal (as every portal before
 * sign-in made) is opened in owner mode; the printed link makes a browser the owner, which
 * adopts the old repls; everyone else meets 401 saying how to sign in, until the owner invites
 * them. The real portal over loopback with the MemoryRuntime double; fs store and SQLite in the
 * shared data folder.
 */
describe('owner mode on a data folder from anonymous mode', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-owner-'));
  let t: AuthPortal;
  let oldToken: string;
  const oldRepls: string[] = [];
  let owner: string;
  let ownerId: string;

  before(async () => {
    const anonymous = await startAuthPortal({ CODEYARD_AUTH: 'anonymous' }, { dataDir });
    try {
      assert.equal(anonymous.codeyard.firstSignIn, undefined, 'anonymous mode prints no sign-in link');
      for (const name of ['first browser', 'second browser']) {
        const session = await anonymous.call('POST', '/api/session');
        oldToken = session.json().token;
        const repl = await anonymous.call('POST', '/api/repls', { sameOrigin: false, headers: { authorization: `Bearer ${oldToken}` }, body: { stack: 'node', name } });
        assert.equal(repl.status, 201, repl.body);
        oldRepls.push(repl.json().id);
      }
    } finally {
      await anonymous.close();
    }
    t = await startAuthPortal({}, { dataDir });
  });
  after(async () => {
    await t?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints an owner link at start, and until it is used a newer start replaces it', async () => {
    const first = t.codeyard.firstSignIn;
    assert.equal(first?.kind, 'owner');
    assert.match(first!.url, new RegExp(`^${t.origin}/auth/owner\\?code=[A-Za-z0-9_-]{32}$`));
    // Another start before anyone used it: a new code, and the old one stops working.
    await t.close();
    t = await startAuthPortal({}, { dataDir });
    assert.notEqual(codeOf(t.codeyard.firstSignIn!.url), codeOf(first!.url));
    assertError(await t.call('POST', '/api/auth/owner', { body: { code: codeOf(first!.url) } }), 403, 'FORBIDDEN', /Open the newest link the terminal printed/);
  });

  it('lets nobody in before the owner: every API call says how to sign in, anonymous accounts are off', async () => {
    for (const [method, route] of [['GET', '/api/repls'], ['GET', '/api/me'], ['GET', '/api/stacks'], ['POST', '/api/invites']] as const) {
      const res = await t.call(method, route, { sameOrigin: false, ...(method === 'POST' ? { body: {} } : {}) });
      assertError(res, 401, 'UNAUTHENTICATED', /the owner signs in with the link the terminal printed/);
    }
    assertError(await t.call('POST', '/api/session'), 403, 'FORBIDDEN', /CODEYARD_AUTH=owner/);
    // The token of an account from anonymous mode no longer gets in (its repls go to the owner).
    assertError(await t.call('GET', '/api/repls', { sameOrigin: false, headers: { authorization: `Bearer ${oldToken}` } }), 401, 'UNAUTHENTICATED', /no longer valid/);
    assertError(await t.call('GET', '/api/repls', { cookie: oldToken }), 401, 'UNAUTHENTICATED');
    assert.deepEqual((await t.call('GET', '/api/auth/options', { sameOrigin: false })).json(), { authMode: 'owner', signup: 'invite', providers: [] });
    assertError(await t.call('POST', '/api/auth/signup', { body: { email: 'early@example.com', password: 'long enough pw', name: 'E' } }), 403, 'FORBIDDEN', /by invitation/);
    assertError(await t.call('POST', '/api/auth/signin', { body: { email: 'early@example.com', password: 'long enough pw' } }), 401, 'UNAUTHENTICATED');
  });

  it('makes the browser with the link the owner, an admin, with every old repl adopted; the link works once', async () => {
    const code = codeOf(t.codeyard.firstSignIn!.url);
    // From another site, or with a wrong code: refused, and the code stays usable.
    assertError(await t.call('POST', '/api/auth/owner', { sameOrigin: false, headers: { origin: 'http://evil.example.com' }, body: { code } }), 403, 'FORBIDDEN', /cross-origin/);
    assertError(await t.call('POST', '/api/auth/owner', { body: { code: 'A'.repeat(32) } }), 403, 'FORBIDDEN', /does not work any more/);
    const planted = `cys_${'B'.repeat(43)}`;
    const res = await t.call('POST', '/api/auth/owner', { cookie: planted, body: { code } });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual({ ...res.json<Record<string, unknown>>(), id: undefined }, { id: undefined, email: null, name: 'Owner', role: 'admin', anonymous: false, authMode: 'owner' });
    ownerId = res.json().id;
    owner = setCookie(res).value;
    assert.notEqual(owner, planted);
    const repls = (await t.call('GET', '/api/repls', { cookie: owner })).json<Array<{ id: string; name: string }>>();
    assert.deepEqual(repls.map((r) => r.id).sort(), [...oldRepls].sort(), 'the repls of every anonymous account of the old data folder');
    assertError(await t.call('POST', '/api/auth/owner', { body: { code } }), 403, 'FORBIDDEN', /used already/);
  });

  it('prints no link once there is an owner; `npm run owner-link` prints one that signs in as that owner', async () => {
    await t.close();
    t = await startAuthPortal({}, { dataDir });
    assert.equal(t.codeyard.firstSignIn, undefined);
    const printed = execFileSync(process.execPath, [OWNER_LINK_CLI], { env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(t.port), CODEYARD_DATA: dataDir }, encoding: 'utf8' });
    assert.match(printed, new RegExp(`^Sign in as the owner again: ${t.origin}/auth/owner\\?code=[A-Za-z0-9_-]{32}\\n$`));
    const res = await t.call('POST', '/api/auth/owner', { body: { code: codeOf(printed.trim().split(': ')[1]!) } });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json().id, ownerId, 'the same owner, not a second one');
    owner = setCookie(res).value;
    assert.equal((await t.call('GET', '/api/repls', { cookie: owner })).json().length, oldRepls.length, 'nothing adopted twice, nothing lost');
  });

  it('lets the owner invite a member, who sees none of the owner\'s repls', async () => {
    const invite = await t.call('POST', '/api/invites', { cookie: owner, body: {} });
    assert.equal(invite.status, 201, invite.body);
    const token = new URL(invite.json().url).searchParams.get('invite')!;
    const joined = await t.call('POST', '/api/auth/signup', { body: { email: 'student@example.com', password: 'long enough pw', name: 'Sam', invite: token } });
    assert.equal(joined.status, 201, joined.body);
    assert.equal(joined.json().role, 'member');
    const member = setCookie(joined).value;
    assert.deepEqual((await t.call('GET', '/api/repls', { cookie: member })).json(), []);
    for (const id of oldRepls) assertError(await t.call('GET', `/api/repls/${id}`, { cookie: member }), 404, 'NOT_FOUND');
    const signedIn = await t.call('POST', '/api/auth/signin', { body: { email: 'student@example.com', password: 'long enough pw' } });
    assert.equal(signedIn.status, 200, 'an invited member signs in with a password in owner mode too');
  });

  it('sends a browser without a session from an IDE link to the sign-in page, and back after it', async () => {
    const res = await t.call('GET', `/open/${oldRepls[0]}`, { sameOrigin: false });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `/signin?next=${encodeURIComponent(`/open/${oldRepls[0]}`)}`);
    for (const page of ['/signin', '/signup', '/auth/owner']) assert.equal((await t.call('GET', page, { sameOrigin: false })).status, 200, `${page} is the app's page`);
  });
});
