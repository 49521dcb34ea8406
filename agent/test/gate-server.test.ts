import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentClient } from '@codeyard/common/agent/client';
import { connectTarget } from '@codeyard/common/agent/connect';
import { gatePreamble, type GateTarget } from '@codeyard/common/agent/gate';
import type { Target } from '@codeyard/common/agent/protocol';
import { createGateServer, createReadinessServer } from '../src/gate-server.js';

const secret = randomBytes(32).toString('hex');
const servers: net.Server[] = [];
let gatePort: number;
let appPort: number;
let reservedPort: number;
let ready = false;
let healthPort: number;

async function listen(server: net.Server, where: string | number = 0): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => (typeof where === 'string' ? server.listen(where, resolve) : server.listen(where, '127.0.0.1', resolve)));
  return typeof where === 'string' ? 0 : (server.address() as net.AddressInfo).port;
}

/** Everything the gate sends back to a connection that writes `data`, until it closes. */
function exchange(data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(gatePort, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(data);
  });
}

const get = (what: string): string => `GET /${what} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`;
const gate = (to: GateTarget, key = secret): Target => ({ kind: 'gate', host: '127.0.0.1', port: gatePort, secret: key, to });

describe("the agent's gate (a pod's one way in)", () => {
  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-gate-'));
    const control = http.createServer((req, res) => res.end(req.url === '/healthz' ? JSON.stringify({ ok: true, app: { running: false } }) : `control saw ${req.url}`));
    servers.push(control);
    const ideSocket = path.join(dir, 'ide.sock');
    await listen(http.createServer((req, res) => res.end(`ide saw ${req.url}`)), ideSocket);
    appPort = await listen(http.createServer((req, res) => res.end(`app saw ${req.url}`)));
    reservedPort = await listen(http.createServer((_req, res) => res.end('the egress relay: never through the gate')));
    gatePort = await listen(createGateServer({ secret, control, ideSocket, reservedPorts: new Set([reservedPort]) }));
    healthPort = await listen(createReadinessServer(() => ready));
  });
  after(() => {
    for (const server of servers) server.close();
  });

  it('opens the control API, code-server and a repl port to a connection that sends the secret first', async () => {
    assert.match(await exchange(gatePreamble(secret, { to: 'control' }) + get('app')), /control saw \/app$/);
    assert.match(await exchange(gatePreamble(secret, { to: 'ide' }) + get('healthz')), /ide saw \/healthz$/);
    assert.match(await exchange(gatePreamble(secret, { to: 'port', port: appPort }) + get('index.html')), /app saw \/index.html$/);
  });

  it('answers nothing and closes a connection without the secret: a plain request, a wrong secret, a secret of another pod', async () => {
    assert.equal(await exchange(get('healthz')), '', 'a bare HTTP request (a scan of the pod network)');
    assert.equal(await exchange(gatePreamble('0'.repeat(64), { to: 'control' }) + get('healthz')), '', 'a wrong secret');
    assert.equal(await exchange(gatePreamble(randomBytes(32).toString('hex'), { to: 'port', port: appPort }) + get('')), '', "another pod's secret");
    assert.equal(await exchange(`CODEYARD ${secret}\n${get('')}`), '', 'no destination');
    assert.equal(await exchange(`CODEYARD ${secret} PORT 70000\n`), '', 'no such port');
    assert.equal(await exchange('x'.repeat(4096)), '', 'a first line that never ends');
  });

  it("never opens the agent's own ports, even with the secret", async () => {
    assert.equal(await exchange(gatePreamble(secret, { to: 'port', port: reservedPort }) + get('')), '');
  });

  it("is what the portal's agent client and the proxy's connections speak (connectTarget)", async () => {
    assert.equal(await new AgentClient(gate({ to: 'control' })).healthy(), true);
    assert.equal(await new AgentClient(gate({ to: 'control' }, '1'.repeat(64))).healthy(), false, 'refused with a wrong secret');
    const answer = await new Promise<string>((resolve) => {
      const socket = connectTarget(gate({ to: 'port', port: appPort }));
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('close', () => resolve(data));
      socket.write(get('through'));
    });
    assert.match(answer, /app saw \/through$/);
    assert.throws(() => new AgentClient(gate({ to: 'ide' })), /control/, 'the agent client goes to the control API only');
  });

  it('tells the kubelet only whether the agent is ready: 503, then 200; nothing else answers', async () => {
    const status = async (url: string): Promise<number> => (await fetch(`http://127.0.0.1:${healthPort}${url}`)).status;
    assert.equal(await status('/readyz'), 503);
    ready = true;
    assert.equal(await status('/readyz'), 200);
    assert.equal(await status('/healthz'), 404);
    assert.equal(await status('/files/'), 404);
  });
});
