import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../src/codeyard.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/open-database.js';
import { MemoryRuntime } from '../src/runtime/memory-runtime.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { dropSchema, quietLog, runSchema } from './db/db-test-helpers.js';
import { freePort, request } from './helpers/http.js';

const url = process.env.CODEYARD_TEST_DATABASE_URL;

/** The first server-sent event of `type` on GET /api/events whose data passes `match`. */
function nextEvent(port: number, token: string, type: string, match: (data: { id: string; name?: string }) => boolean): { event: Promise<{ id: string; name?: string }>; open: Promise<void>; close(): void } {
  let close = (): void => undefined;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const event = new Promise<{ id: string; name?: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within 10 s`)), 10_000);
    // The portal answers only its own host name (127.0.0.1 would be a foreign host: 421).
    const req = http.get({ port, host: '127.0.0.1', path: '/api/events', headers: { host: `localhost:${port}`, authorization: `Bearer ${token}` } }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        if (buffered.includes(': live')) opened();
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const kind = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (kind === type && data && match(JSON.parse(data))) {
            clearTimeout(timer);
            resolve(JSON.parse(data));
            req.destroy();
          }
        }
      });
    });
    req.on('error', () => undefined);
    close = () => {
      clearTimeout(timer);
      req.destroy();
    };
  });
  return { event, open, close };
}

/**
 * Two portal replicas as a cluster runs them: separate processes' worth of servers (own ports,
 * own runtimes: the in-memory double), one PostgreSQL and one object store (the in-memory double,
 * shared). What one replica records, the other serves; a ticket is good once across both.
 */
describe('two portals on one PostgreSQL and one store', { skip: url ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set (.ci/postgres.sh starts a PostgreSQL and prints it)' }, () => {
  const schema = runSchema('replicas');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-replicas-'));
  const store = new MemoryStore();
  const replicas: Array<{ codeyard: Codeyard<MemoryRuntime>; port: number }> = [];
  let token: string;
  const api = (replica: number, method: string, apiPath: string, body?: unknown) =>
    request(replicas[replica]!.port, {
      method,
      path: apiPath,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    const signingKey = Buffer.alloc(32, 7); // replicas share their signing key, as they share a secret in a cluster
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const dataDir = path.join(root, name);
      const config = loadConfig({ PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous', CODEYARD_DATABASE_URL: url, HOME: os.tmpdir() });
      const database = await openDatabase({ url, dataDir, schema, log: quietLog });
      // One store for both (MemoryStore's close() releases nothing, so the first replica's close leaves it to the second).
      const codeyard = await createCodeyard(config, { store, runtime: () => new MemoryRuntime(), database, signingKey, log: pino({ level: 'warn' }) });
      await codeyard.listen(port, '127.0.0.1');
      replicas.push({ codeyard, port });
    }
    const session = await request(replicas[0]!.port, { method: 'POST', path: '/api/session' });
    assert.equal(session.status, 201, session.body);
    token = session.json<{ token: string }>().token;
  });

  after(async () => {
    for (const { codeyard } of replicas) await codeyard.close();
    await dropSchema(url, schema);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("signs in on either replica with an account made on one, and lists the other's repls", async () => {
    assert.deepEqual((await api(1, 'GET', '/api/repls')).json(), [], 'the account made on A is known to B');
    const created = await api(0, 'POST', '/api/repls', { stack: 'node', name: 'made on A' });
    assert.equal(created.status, 201, created.body);
    const id = created.json<{ id: string }>().id;
    const onB = await api(1, 'GET', `/api/repls/${id}`);
    assert.equal(onB.status, 200, onB.body);
    assert.equal(onB.json<{ name: string }>().name, 'made on A');
    assert.deepEqual((await api(1, 'GET', '/api/repls')).json<Array<{ id: string }>>().map((r) => r.id), [id]);
  });

  it("streams one replica's changes on the other's dashboard", async () => {
    const created = nextEvent(replicas[1]!.port, token, 'repl', (r) => r.name === 'watched from B');
    await created.open;
    const made = await api(0, 'POST', '/api/repls', { stack: 'node', name: 'watched from B' });
    assert.equal(made.status, 201, made.body);
    const id = made.json<{ id: string }>().id;
    assert.equal((await created.event).id, id);

    const renamed = nextEvent(replicas[1]!.port, token, 'repl', (r) => r.id === id && r.name === 'renamed on A');
    await renamed.open;
    assert.equal((await api(0, 'PATCH', `/api/repls/${id}`, { name: 'renamed on A' })).status, 200);
    await renamed.event;

    const deleted = nextEvent(replicas[1]!.port, token, 'deleted', (r) => r.id === id);
    await deleted.open;
    assert.equal((await api(0, 'DELETE', `/api/repls/${id}`)).status, 204);
    await deleted.event;
    assert.equal((await api(1, 'GET', `/api/repls/${id}`)).status, 404, 'gone on B too');
  });

  it("stops serving a preview on one replica as soon as it is made private on the other", async () => {
    const made = await api(0, 'POST', '/api/repls', { stack: 'node', name: 'public, then private' });
    const { id, port } = made.json<{ id: string; port: number }>();
    // A stranger (no cookie) opening the app's preview: public at first, so not sent to sign in.
    const visit = () => request(replicas[1]!.port, { host: `${id}-${port}.localhost`, path: '/', headers: { accept: 'text/html' } });
    const signIn = (status: number, location: unknown) => status === 401 || (status === 302 && String(location).includes('/open/'));
    const before = await visit();
    assert.equal(signIn(before.status, before.headers.location), false, `public: ${before.status}`);
    assert.equal((await api(0, 'PATCH', `/api/repls/${id}/ports/${port}`, { visibility: 'private' })).status, 200);
    // B keeps records for a moment; the change reaches it as an event from the database.
    const t0 = Date.now();
    let after = await visit();
    while (!signIn(after.status, after.headers.location) && Date.now() - t0 < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await visit();
    }
    assert.ok(signIn(after.status, after.headers.location), `private on B within a second (its cache keeps records 2 s): ${after.status} ${String(after.headers.location)}`);
  });

  it('refuses on one replica a ticket already redeemed on the other', async () => {
    const id = (await api(0, 'GET', '/api/repls')).json<Array<{ id: string }>>()[0]!.id;
    const link = new URL((await api(0, 'POST', `/api/repls/${id}/ide-link`, {})).json<{ url: string }>().url);
    const redeem = (replica: number) => request(replicas[replica]!.port, { host: link.host, path: link.pathname + link.search });
    const first = await redeem(1);
    assert.equal(first.status, 302, first.body);
    assert.match(String(first.headers['set-cookie']), /codeyard_host=/, 'B opened a session for the IDE host');
    const again = await redeem(0);
    assert.equal(again.status, 403, 'A refuses the ticket B already used');
    assert.equal(String(again.headers['set-cookie'] ?? '').includes('codeyard_host='), false);

    // A fresh ticket is good on A: the refusal was the ticket's single use, not A itself.
    const fresh = new URL((await api(1, 'POST', `/api/repls/${id}/ide-link`, {})).json<{ url: string }>().url);
    assert.equal((await request(replicas[0]!.port, { host: fresh.host, path: fresh.pathname + fresh.search })).status, 302);
  });
});
