import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent, AuditPage } from '@codeyard/common/api/admin';
import type { CreatedToken, DeviceStarted } from '@codeyard/common/api/tokens';
import { assertError, DIALECTS, startTokenPortal, type TokenPortal } from '../tokens/token-portal.js';
import { auditEvents, makeUser, ok, type TestUser } from './admin-portal.js';

for (const dialect of DIALECTS) {
  /**
   * The audit log through the HTTP API on the real database: what the routes record (token
   * creation, use once a minute, revocation, device approval, anonymous sign-in, an admin
   * opening someone else's IDE) and how it is read (pages, filters, CSV and JSON lines). The
   * runtime and store are the doubles MemoryRuntime and MemoryStore.
   */
  describe(`audit log (${dialect.name}; MemoryRuntime, MemoryStore)`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let admin: TestUser;
    let member: TestUser;
    const get = (query: string) => t.call({ bearer: admin.token }, 'GET', `/api/admin/audit?${query}`);

    before(async () => {
      t = await startTokenPortal(dialect.name);
      admin = await makeUser(t, 'admin');
      member = await makeUser(t, 'member');
    });
    after(async () => t?.close());

    it('records a token made, used (once a minute, with its last-use write) and revoked', async () => {
      const created = ok<CreatedToken>(await t.call({ bearer: member.token, address: '198.51.100.4' }, 'POST', '/api/tokens', { name: 'deploy', expiresInDays: 7 }), 201);
      for (let i = 0; i < 3; i++) ok(await t.call({ bearer: created.token, address: '198.51.100.5' }, 'GET', '/api/repls'));
      const uses = () => auditEvents(t, admin.token, `kind=token.use&account=${member.id}`).then((events) => events.filter((e) => e.targetId === created.id));
      // A use is recorded after the request's last-use write, not before the answer: wait (at most 3 s) until `count` are there.
      const usesAtLeast = async (count: number) => {
        for (const deadline = Date.now() + 3000; ; await new Promise((r) => setTimeout(r, 50))) {
          const found = await uses();
          if (found.length >= count || Date.now() > deadline) return found;
        }
      };
      assert.equal((await usesAtLeast(1)).length, 1, 'three requests in a minute: one use');
      t.clock.now += 61_000;
      ok(await t.call({ bearer: created.token, address: '198.51.100.6' }, 'GET', '/api/repls'));
      const [latest, first] = await usesAtLeast(2);
      assert.ok(latest && first, 'a minute later, a second');
      assert.deepEqual([latest.account, latest.credential, latest.credentialId, latest.address], [member.id, 'token', created.id, '198.51.100.6']);
      assert.equal(first.address, '198.51.100.5');

      assert.equal((await t.call({ bearer: member.token }, 'DELETE', `/api/tokens/${created.id}`)).statusCode, 204);
      const byToken = (await auditEvents(t, admin.token, `account=${member.id}&kind=token.`)).filter((e) => e.targetId === created.id).map((e) => e.kind);
      assert.deepEqual(byToken, ['token.revoke', 'token.use', 'token.use', 'token.create'], 'newest first');
      const [made] = (await auditEvents(t, admin.token, 'kind=token.create')).filter((e) => e.targetId === created.id);
      assert.equal(made?.address, '198.51.100.4');
      assert.deepEqual(made?.details, { name: 'deploy', scopes: ['read', 'write'], expiresAt: created.expiresAt, via: 'api' });
    });

    it('records a device approval in the browser, and the token the device then gets', async () => {
      const browser = await t.session();
      const started = ok<DeviceStarted>(await t.call({ address: '127.0.3.1' }, 'POST', '/api/auth/device', { client: 'codeyard CLI', name: 'codeyard CLI on laptop' }));
      ok(await t.call({ cookie: browser, address: '192.0.2.10' }, 'POST', '/api/auth/device/approve', { userCode: started.userCode.toLowerCase(), approve: true }));
      const granted = ok<{ tokenId: string; account: { id: string } }>(await t.call({ address: '192.0.2.20' }, 'POST', '/api/auth/device/token', { deviceCode: started.deviceCode }));
      const events = await auditEvents(t, admin.token, `account=${granted.account.id}`);
      const approval = events.find((e) => e.kind === 'device.approve')!;
      assert.deepEqual([approval.targetId, approval.address, approval.credential, approval.details.client], [started.userCode, '192.0.2.10', 'legacy', 'codeyard CLI']);
      const token = events.find((e) => e.kind === 'token.create')!;
      assert.deepEqual([token.targetId, token.address, token.details.via, token.account], [granted.tokenId, '192.0.2.20', 'device', granted.account.id]);
      assert.ok(events.some((e) => e.kind === 'signin' && e.details.method === 'anonymous'), "the browser's anonymous account was recorded as it was made");
    });

    it("lets an admin open someone else's IDE, recorded; refuses it to a member, and from another site", async () => {
      const repl = ok<{ id: string }>(await t.call({ bearer: member.token }, 'POST', '/api/repls', { stack: 'node', name: 'watched' }), 201);
      const other = await makeUser(t, 'member');
      const stranger = await t.call({ bearer: other.token }, 'GET', `/open/${repl.id}`);
      assert.equal(stranger.statusCode, 404, 'a member sees no such repl');
      const crossSite = await t.codeyard.portal.app.inject({ method: 'GET', url: `/open/${repl.id}`, headers: { authorization: `Bearer ${admin.token}`, 'sec-fetch-site': 'cross-site' } });
      assert.equal(crossSite.statusCode, 403, crossSite.body);
      assert.match(crossSite.body, /another site/);
      assert.equal((await auditEvents(t, admin.token, 'kind=admin.ide-open')).length, 0, 'nothing opened, nothing recorded');

      const opened = await t.codeyard.portal.app.inject({ method: 'GET', url: `/open/${repl.id}`, headers: { authorization: `Bearer ${admin.token}`, 'sec-fetch-site': 'same-origin' }, remoteAddress: '192.0.2.30' });
      assert.equal(opened.statusCode, 302, opened.body);
      const link = new URL(opened.headers.location as string);
      assert.equal(link.hostname, `${repl.id}.localhost`);
      assert.ok(link.searchParams.get('ticket'));
      const [event] = await auditEvents(t, admin.token, 'kind=admin.ide-open');
      assert.deepEqual([event?.account, event?.targetId, event?.targetAccount, event?.address, event?.details.name], [admin.id, repl.id, member.id, '192.0.2.30', 'watched']);

      // The owner opening their own repl is no admin action.
      assert.equal((await t.call({ bearer: member.token }, 'GET', `/open/${repl.id}`)).statusCode, 302);
      assert.equal((await auditEvents(t, admin.token, 'kind=admin.ide-open')).length, 1);
    });

    it('pages newest first with a cursor, and filters by kind, kind prefix, account and time', async () => {
      const all: AuditEvent[] = [];
      let cursor: string | null = '';
      for (let pages = 0; cursor !== null && pages < 100; pages++) {
        const page: AuditPage = ok<AuditPage>(await get(`limit=3${cursor ? `&cursor=${cursor}` : ''}`));
        assert.ok(page.events.length <= 3);
        assert.equal(page.retentionDays, 180);
        all.push(...page.events);
        cursor = page.next;
      }
      assert.equal(cursor, null, 'the last page says so');
      assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'no event twice');
      const times = all.map((e) => e.at);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
      const everything = ok<AuditPage>(await get('limit=200')).events;
      assert.deepEqual(all.map((e) => e.id), everything.map((e) => e.id), 'pages add up to the whole');

      assert.ok(ok<AuditPage>(await get('kind=token.')).events.every((e) => e.kind.startsWith('token.')));
      assert.ok(ok<AuditPage>(await get('kind=token.use')).events.every((e) => e.kind === 'token.use'));
      assert.ok(ok<AuditPage>(await get(`account=${member.id}`)).events.every((e) => e.account === member.id || e.targetAccount === member.id));
      const middle = everything[Math.floor(everything.length / 2)]!.at;
      const since = ok<AuditPage>(await get(`since=${encodeURIComponent(middle)}&limit=200`)).events;
      const until = ok<AuditPage>(await get(`until=${encodeURIComponent(middle)}&limit=200`)).events;
      assert.ok(since.every((e) => e.at >= middle) && until.every((e) => e.at < middle));
      assert.equal(since.length + until.length, everything.length);
    });

    it('exports every matching event as CSV and as JSON lines, as a download', async () => {
      const csv = await get('format=csv&kind=token.');
      assert.equal(csv.statusCode, 200, csv.body);
      assert.match(csv.headers['content-type'] as string, /^text\/csv/);
      assert.match(csv.headers['content-disposition'] as string, /^attachment; filename="codeyard-audit-[\d-]+\.csv"$/);
      const lines = csv.body.trimEnd().split('\r\n');
      assert.equal(lines[0], 'id,at,kind,account,account_email,credential,credential_id,target_type,target_id,target_account,address,details');
      const expected = ok<AuditPage>(await get('kind=token.&limit=200')).events;
      assert.equal(lines.length - 1, expected.length);
      assert.ok(lines[1]!.startsWith(`${expected[0]!.id},${expected[0]!.at},${expected[0]!.kind},`));

      const jsonl = await get(`format=jsonl&account=${member.id}`);
      assert.match(jsonl.headers['content-type'] as string, /^application\/jsonl/);
      const parsed = jsonl.body.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEvent);
      assert.deepEqual(parsed.map((e) => e.id), ok<AuditPage>(await get(`account=${member.id}&limit=200`)).events.map((e) => e.id));
    });

    it('refuses bad queries naming what is wrong', async () => {
      assertError(await get('since=yesterday'), 400, 'VALIDATION', /since must be an ISO date/);
      assertError(await get('until=2026-13-45'), 400, 'VALIDATION', /until/);
      assertError(await get('since=2026-12-02&until=2026-12-01'), 400, 'VALIDATION', /since .* must be before until/);
      assertError(await get('format=xml'), 400, 'VALIDATION', /format/);
      assertError(await get('cursor=bm90IGEgY3Vyc29y'), 400, 'VALIDATION', /cursor/);
      assertError(await get('format=csv&limit=5'), 400, 'VALIDATION', /export has every matching event/);
      assertError(await get('kind=TOKEN;drop'), 400, 'VALIDATION', /kind/);
      assertError(await get('limit=1000'), 400, 'VALIDATION', /limit/);
      ok(await get('since=2026-12-01&until=2026-12-01T10:00:00Z'));
    });
  });
}
