import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTunnelServer } from '../src/tunnel-server.js';

let socketPath: string;
let tunnel: net.Server;
let app: http.Server;
let reserved: http.Server;
let appPort: number;
let reservedPort: number;

function through(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(`PORT ${port}\n${request}`);
  });
}

describe('tunnel server', () => {
  before(async () => {
    socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-tun-')), 'tunnel.sock');
    app = http.createServer((req, res) => res.end(`app saw ${req.url}`));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appPort = (app.address() as net.AddressInfo).port;
    // A live server on a reserved port: the tunnel must still refuse to reach it.
    reserved = http.createServer((_req, res) => res.end('should not be reachable'));
    await new Promise<void>((r) => reserved.listen(0, '127.0.0.1', r));
    reservedPort = (reserved.address() as net.AddressInfo).port;
    tunnel = createTunnelServer({ reservedPorts: new Set([reservedPort]) });
    await new Promise<void>((r) => tunnel.listen(socketPath, r));
  });
  after(() => {
    tunnel.close();
    app.close();
    reserved.close();
  });

  it("refuses the agent's own reserved ports", async () => {
    assert.equal(await through(reservedPort, 'GET / HTTP/1.1\r\nconnection: close\r\n\r\n'), '');
  });

  it('carries a request to the named port and the answer back', async () => {
    const answer = await through(appPort, 'GET /hi HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(answer, /^HTTP\/1.1 200/);
    assert.match(answer, /app saw \/hi/);
  });

  it('closes the connection when nothing listens on the port', async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    free.close();
    assert.equal(await through(port, 'GET / HTTP/1.1\r\n\r\n'), '');
  });

  it('closes the connection on a bad preamble', async () => {
    for (const preamble of ['PORT 0\n', 'PORT 70000\n', 'HELLO\n', 'PORT 80 extra\n', 'x'.repeat(100)]) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(socketPath);
        let data = '';
        socket.on('data', (c) => (data += c));
        socket.on('close', () => resolve(data));
        socket.on('error', () => resolve(data));
        socket.write(preamble);
      });
      assert.equal(answer, '', preamble);
    }
  });
});
