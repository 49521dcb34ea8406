import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { GrantSigner, NonceRegistry, type TicketLedger } from '../src/tickets.js';

const signer = new GrantSigner(randomBytes(32));
const host = 'abcdefgh2345.localhost';

describe('GrantSigner', () => {
  it('verifies what it signed, for the same purpose and host', () => {
    const token = signer.sign({ purpose: 'ticket', host, account: 'u1', expiresAt: Date.now() + 60_000 });
    const check = signer.verify(token, { purpose: 'ticket', host });
    assert.ok(check.ok);
    assert.equal(check.grant.account, 'u1');
  });

  it('refuses another host, another purpose, an expired grant', () => {
    const token = signer.sign({ purpose: 'ticket', host, account: 'u1', expiresAt: Date.now() + 60_000 });
    assert.deepEqual(signer.verify(token, { purpose: 'ticket', host: 'bbbbbbbb2345.localhost' }), { ok: false, reason: 'wrong-host' });
    assert.deepEqual(signer.verify(token, { purpose: 'session', host }), { ok: false, reason: 'wrong-purpose' });
    const old = signer.sign({ purpose: 'ticket', host, account: 'u1', expiresAt: Date.now() - 1 });
    assert.deepEqual(signer.verify(old, { purpose: 'ticket', host }), { ok: false, reason: 'expired' });
  });

  it('refuses forged and tampered tokens', () => {
    const other = new GrantSigner(randomBytes(32));
    const forged = other.sign({ purpose: 'ticket', host, account: 'u1', expiresAt: Date.now() + 60_000 });
    assert.deepEqual(signer.verify(forged, { purpose: 'ticket', host }), { ok: false, reason: 'bad-signature' });
    const token = signer.sign({ purpose: 'ticket', host, account: 'u1', expiresAt: Date.now() + 60_000 });
    const [payload, mac] = token.split('.');
    const swapped = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('u1', 'u2')).toString('base64url');
    assert.deepEqual(signer.verify(`${swapped}.${mac}`, { purpose: 'ticket', host }), { ok: false, reason: 'bad-signature' });
    for (const junk of [undefined, '', 'abc', '.', 'a.b', 'x'.repeat(5000)]) {
      assert.equal(signer.verify(junk, { purpose: 'ticket', host }).ok, false);
    }
  });

  it('carries the credential a grant was made through, signed; grants without one still verify', () => {
    const token = signer.sign({ purpose: 'session', host, account: 'u1', expiresAt: Date.now() + 60_000, via: 's:abc' });
    const check = signer.verify(token, { purpose: 'session', host });
    assert.ok(check.ok);
    assert.equal(check.grant.via, 's:abc');
    const [payload, mac] = token.split('.');
    const moved = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('s:abc', 's:xyz')).toString('base64url');
    assert.deepEqual(signer.verify(`${moved}.${mac}`, { purpose: 'session', host }), { ok: false, reason: 'bad-signature' });
    const plain = signer.verify(signer.sign({ purpose: 'session', host, account: 'u1', expiresAt: Date.now() + 60_000 }), { purpose: 'session', host });
    assert.ok(plain.ok);
    assert.equal(plain.grant.via, undefined);
  });

  it('will not use a short key', () => {
    assert.throws(() => new GrantSigner(Buffer.alloc(16)));
  });
});

describe('NonceRegistry', () => {
  it('lets each nonce through once until it expires', () => {
    const nonces = new NonceRegistry();
    const now = Date.now();
    assert.equal(nonces.use('n1', now + 1000, now), true);
    assert.equal(nonces.use('n1', now + 1000, now), false);
    assert.equal(nonces.use('n2', now + 1000, now), true);
  });

  it('is a ticket ledger: redeem answers true the first time only', async () => {
    const ledger: TicketLedger = new NonceRegistry();
    const expiresAt = Date.now() + 60_000;
    assert.equal(await ledger.redeem('n1', expiresAt), true);
    assert.equal(await ledger.redeem('n1', expiresAt), false);
    assert.equal(await ledger.redeem('n2', expiresAt), true);
  });

  it('stays bounded', () => {
    const nonces = new NonceRegistry(10);
    const now = Date.now();
    for (let i = 0; i < 100; i++) nonces.use(`n${i}`, now + 60_000, now);
    // The newest are still remembered.
    assert.equal(nonces.use('n99', now + 60_000, now), false);
  });
});
