import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialRevocations, credentialRef, type RevocationSource } from '../../src/accounts/credential-revocations.js';

const HOUR = 3600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A double of the two tables' revokedSince(): rows kept in arrays, and a switch to make reads fail. */
function sourceDouble() {
  const rows = { sessions: [] as Array<{ id: string; revokedAt: string }>, apiTokens: [] as Array<{ id: string; revokedAt: string }> };
  const state = { failing: false, asked: [] as string[] };
  const table = (name: keyof typeof rows) => ({
    async revokedSince(at: string) {
      state.asked.push(at);
      if (state.failing) throw new Error('database unavailable');
      return rows[name].filter((r) => r.revokedAt >= at);
    },
  });
  const source: RevocationSource = { sessions: table('sessions'), apiTokens: table('apiTokens') };
  return { rows, state, source };
}

describe('CredentialRevocations (a double of the sessions and tokens tables)', () => {
  it('names sessions and tokens, and nothing for legacy tokens', () => {
    assert.equal(credentialRef({ kind: 'session', id: 'abc' }), 's:abc');
    assert.equal(credentialRef({ kind: 'token', id: 'tok' }), 't:tok');
    assert.equal(credentialRef({ kind: 'legacy', id: 'u1' }), undefined);
    assert.equal(credentialRef(undefined), undefined);
  });

  it('knows what was revoked within a host cookie’s lifetime at start, and what is revoked after', async () => {
    const clock = { now: Date.UTC(2026, 11, 3, 12) };
    const { rows, source } = sourceDouble();
    rows.sessions.push({ id: 'old', revokedAt: iso(clock.now - 13 * HOUR) }, { id: 'recent', revokedAt: iso(clock.now - HOUR) });
    const list = new CredentialRevocations({ source, windowMs: 12 * HOUR, now: () => clock.now, log: { warn() {} } });
    await list.refresh();
    assert.equal(list.revoked('s:recent'), true);
    assert.equal(list.revoked('s:old'), false, 'older than any host cookie: not read');
    clock.now += 5000;
    rows.apiTokens.push({ id: 'cli', revokedAt: iso(clock.now) });
    await list.refresh();
    assert.equal(list.revoked('t:cli'), true);
    assert.equal(list.revoked('s:cli'), false, 'a token id is not a session id');
    clock.now += 12 * HOUR;
    await list.refresh();
    assert.equal(list.revoked('s:recent'), false, 'forgotten once no cookie it opened can be alive');
  });

  it('keeps what it knows when a read fails, and catches up on the next one', async () => {
    const clock = { now: Date.UTC(2026, 11, 3, 12) };
    const { rows, state, source } = sourceDouble();
    const warnings: string[] = [];
    const list = new CredentialRevocations({ source, windowMs: 12 * HOUR, now: () => clock.now, log: { warn: (_o, msg) => warnings.push(msg) } });
    rows.sessions.push({ id: 'a', revokedAt: iso(clock.now) });
    await list.refresh();
    state.failing = true;
    clock.now += 2000;
    rows.sessions.push({ id: 'b', revokedAt: iso(clock.now) });
    await list.refresh();
    assert.equal(list.revoked('s:a'), true);
    assert.equal(warnings.length, 1);
    state.failing = false;
    // A revocation written by a portal whose clock is 30 s behind this one's is still found.
    rows.sessions.push({ id: 'c', revokedAt: iso(clock.now - 30_000) });
    await list.refresh();
    assert.equal(list.revoked('s:b'), true);
    assert.equal(list.revoked('s:c'), true);
  });
});
