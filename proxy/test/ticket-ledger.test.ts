import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseHost } from '@codeyard/common/hostnames';
import { GrantSigner, NonceRegistry, type TicketLedger } from '@codeyard/common/tickets';
import { type ProxiedRepl, ReplProxy } from '../src/repl-proxy.js';

const ID = 'abcdefgh2345';
const OWNER = 'u-owner';
const HOST = `${ID}.localhost`;

/** A ledger double that answers from another ledger, later (as a database would). */
class SlowLedger implements TicketLedger {
  readonly asked: string[] = [];
  constructor(
    readonly inner: TicketLedger,
    readonly delayMs: number,
  ) {}
  async redeem(nonce: string, expiresAt: number): Promise<boolean> {
    this.asked.push(nonce);
    await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.redeem(nonce, expiresAt);
  }
}

/** A ledger double whose store is down. */
const brokenLedger: TicketLedger = {
  redeem: async () => {
    throw new Error('the database is unreachable');
  },
};

/**
 * Single use of tickets goes through the ledger the proxy is given: two proxies sharing one
 * (two portal replicas on one database) refuse a ticket the other redeemed, and a ledger that
 * fails refuses rather than lets a ticket through.
 */
describe('ReplProxy with a ticket ledger', () => {
  const signer = new GrantSigner(randomBytes(32));
  const repl: ProxiedRepl = { owner: OWNER, status: 'running', isPublic: () => false };
  const servers: http.Server[] = [];
  const proxies: ReplProxy[] = [];
  const shared = new SlowLedger(new NonceRegistry(), 20);
  let replicaA: number;
  let replicaB: number;
  let broken: number;
  let byDefault: number;

  async function serve(tickets?: TicketLedger): Promise<number> {
    const proxy = new ReplProxy({ backend: { lookup: async (id) => (id === ID ? repl : undefined), wake: () => undefined, app: async () => { throw new Error('no app control in this test'); }, name: async () => 'repl' }, signer, publicOrigin: { domain: 'localhost', scheme: 'http', port: 0 }, sessionTtlMs: 60_000, tickets });
    const server = http.createServer((req, res) => {
      const route = parseHost(req.headers.host, { domain: 'localhost' });
      if (route.kind === 'ide' || route.kind === 'preview') void proxy.handleRequest(req, res, route);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxies.push(proxy);
    servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  before(async () => {
    replicaA = await serve(shared);
    replicaB = await serve(shared);
    broken = await serve(brokenLedger);
    byDefault = await serve();
  });
  after(() => {
    for (const proxy of proxies) proxy.close();
    for (const server of servers) server.close();
  });

  function redeem(port: number, ticket: string): Promise<{ status: number; cookie?: string; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `/_codeyard/auth?ticket=${ticket}`, headers: { host: HOST }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, cookie: res.headers['set-cookie']?.[0], body }));
        })
        .on('error', reject);
    });
  }

  const ticket = (): string => signer.sign({ purpose: 'ticket', host: HOST, account: OWNER, expiresAt: Date.now() + 60_000 });

  it('waits for a ledger that answers later, and refuses the ticket the second time, on either replica', async () => {
    const t = ticket();
    const first = await redeem(replicaA, t);
    assert.equal(first.status, 302);
    assert.match(first.cookie ?? '', /^codeyard_host=/);
    const again = await redeem(replicaB, t);
    assert.equal(again.status, 403, 'redeemed on one replica, refused on the other');
    assert.match(again.body, /already used/);
    assert.equal(again.cookie, undefined);
    assert.equal((await redeem(replicaA, t)).status, 403, 'and on the first one too');
    assert.equal(shared.asked.length, 3, 'every redemption asked the ledger');
  });

  it('lets only one of two simultaneous redemptions of one ticket through', async () => {
    const t = ticket();
    const both = await Promise.all([redeem(replicaA, t), redeem(replicaB, t)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [302, 403]);
  });

  it('refuses the ticket when the ledger fails, rather than letting it through', async () => {
    const failed = await redeem(broken, ticket());
    assert.equal(failed.status, 403);
    assert.equal(failed.cookie, undefined);
    assert.match(failed.body, /could not be checked/);
  });

  it('does not ask the ledger about a ticket that is not valid here', async () => {
    const before = shared.asked.length;
    const elsewhere = signer.sign({ purpose: 'ticket', host: `bbbbbbbb2345.localhost`, account: OWNER, expiresAt: Date.now() + 60_000 });
    assert.equal((await redeem(replicaA, elsewhere)).status, 403);
    assert.equal(shared.asked.length, before);
  });

  it('keeps single use in memory when given no ledger', async () => {
    const t = ticket();
    assert.equal((await redeem(byDefault, t)).status, 302);
    assert.equal((await redeem(byDefault, t)).status, 403);
  });
});
