import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type AuthPortal, startAuthPortal } from '../helpers/auth-portal.js';

/**
 * How many live event streams one account may hold (api/event-stream.ts, shared by the
 * dashboard's /api/events and a class's stream): each is a socket and a listener. The real
 * portal listening on loopback, SQLite; the runtime is the MemoryRuntime double.
 */
describe('event streams per account (SQLite; MemoryRuntime)', () => {
  let t: AuthPortal;
  let alice: string;
  let bob: string;

  before(async () => {
    t = await startAuthPortal({ CODEYARD_AUTH: 'anonymous' });
    const token = async () => (await t.call('POST', '/api/session')).json<{ token: string }>().token;
    [alice, bob] = [await token(), await token()];
  });
  after(async () => t?.close());

  const open = (token: string) => {
    const req = http.get({ host: '127.0.0.1', port: t.port, path: '/api/events', headers: { authorization: `Bearer ${token}`, host: `localhost:${t.port}` } });
    const answered = new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
    return { req, answered };
  };

  it('holds an account to 8 open dashboard streams, and frees a place when one closes', async () => {
    const streams = Array.from({ length: 8 }, () => open(alice));
    try {
      for (const s of streams) assert.equal((await s.answered).statusCode, 200);
      const ninth = await open(alice).answered;
      assert.equal(ninth.statusCode, 429);
      const body = await new Promise<string>((resolve) => {
        let text = '';
        ninth.on('data', (c: Buffer) => (text += c.toString())).once('end', () => resolve(text));
      });
      assert.match(body, /already has 8 live status streams open; close a tab/);
      const bobs = open(bob);
      streams.push(bobs);
      assert.equal((await bobs.answered).statusCode, 200, "another account's streams are its own");
      streams.shift()!.req.destroy();
      let again: http.IncomingMessage | undefined;
      for (const deadline = Date.now() + 2000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        const attempt = open(alice);
        again = await attempt.answered;
        if (again.statusCode === 200) {
          streams.push(attempt);
          break;
        }
        again.resume();
      }
      assert.equal(again?.statusCode, 200, 'a closed stream frees its place');
    } finally {
      for (const s of streams) s.req.destroy();
    }
  });
});
