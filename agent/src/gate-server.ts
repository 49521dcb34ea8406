import http from 'node:http';
import net from 'node:net';
import { GATE_PREAMBLE_MAX, GATE_PREAMBLE_TIMEOUT_MS, type GateTarget, openGate } from '@codeyard/common/agent/gate';
import { splice } from './listeners.js';
import { connectLoopback } from './tunnel-server.js';

export interface GateOptions {
  secret: string;
  /** The control API's server: an opened `CONTROL` connection is handed to it. */
  control: net.Server;
  /** code-server's own unix socket (`IDE`); without it an IDE connection is closed. */
  ideSocket?: string;
  /** Ports of the agent's own (the gate itself, the egress relay): never reachable through it. */
  reservedPorts: ReadonlySet<number>;
}

/**
 * The agent's gate (protocol in @codeyard/common/agent/gate): one TCP port on the pod's network.
 * A connection is read up to its first line only; with the pod's secret and a known destination
 * it becomes the control API's, code-server's or a repl port's, the rest of what was read handed
 * on first. Anything else (no line, a long one, a plain HTTP request, a wrong secret) is closed
 * with nothing written back, so a scan of the pod network learns nothing from it.
 */
export function createGateServer(options: GateOptions): net.Server {
  return net.createServer((client) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => client.destroy(), GATE_PREAMBLE_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(0x0a);
      if (newline === -1) {
        if (head.length > GATE_PREAMBLE_MAX) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      clearTimeout(timer);
      const target = newline <= GATE_PREAMBLE_MAX ? openGate(head.subarray(0, newline).toString('latin1'), options.secret) : undefined;
      if (!target) return void client.destroy();
      pass(target, head.subarray(newline + 1), client, options);
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
    client.on('close', () => clearTimeout(timer));
  });
}

function pass(target: GateTarget, rest: Buffer, client: net.Socket, options: GateOptions): void {
  switch (target.to) {
    case 'control':
      // What followed the line is the start of the first HTTP request: the server reads it first.
      if (rest.length) client.unshift(rest);
      options.control.emit('connection', client);
      client.resume();
      return;
    case 'ide': {
      if (!options.ideSocket) return void client.destroy();
      const upstream = net.connect(options.ideSocket);
      if (rest.length) upstream.write(rest);
      splice(client, upstream);
      client.resume();
      return;
    }
    case 'port':
      if (options.reservedPorts.has(target.port)) return void client.destroy();
      connectLoopback(target.port, rest, client);
  }
}

/**
 * The readiness port for the kubelet's probe: GET /readyz answers 200 once `ready()` says so,
 * 503 before; every other request 404. No body beyond the word: it is open to the pod network.
 */
export function createReadinessServer(ready: () => boolean): http.Server {
  return http.createServer((req, res) => {
    const known = req.method === 'GET' && req.url === '/readyz';
    const status = !known ? 404 : ready() ? 200 : 503;
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
    res.end(status === 200 ? 'ready\n' : status === 503 ? 'starting\n' : 'not found\n');
  });
}
