import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AuthPortal, startAuthPortal } from '../helpers/auth-portal.js';

/** Sends one GET on the socket and reads until the reply's (small, length-delimited) body is in. */
function get(socket: net.Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text);
      if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) done(undefined);
    };
    const onClose = (): void => done(new Error(`the portal closed the connection before answering ${path}`));
    const done = (err: Error | undefined): void => {
      socket.off('data', onData).off('close', onClose);
      if (err) reject(err);
      else resolve(text);
    };
    socket.on('data', onData).on('close', onClose);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive\r\n\r\n`);
  });
}

describe('keep-alive connections to the portal', { timeout: 30_000 }, () => {
  let portal: AuthPortal;
  before(async () => {
    portal = await startAuthPortal({ CODEYARD_AUTH: 'anonymous' });
  });
  after(() => portal?.close());

  it('stay open over a pause longer than Node\'s 5 s default, so a client reusing one never gets "socket hang up"', async () => {
    const socket = net.connect(portal.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    try {
      assert.match(await get(socket, '/healthz'), /^HTTP\/1\.1 200/);
      // Fastify's own servers keep idle connections 72 s; a server made through the hosting's
      // factory closed them after Node's 5 s, racing clients that polled with such pauses.
      await sleep(6_000);
      assert.equal(socket.destroyed, false, 'the idle connection was closed by the portal');
      assert.match(await get(socket, '/healthz'), /^HTTP\/1\.1 200/);
    } finally {
      socket.destroy();
    }
  });
});
