import net from 'node:net';
import { parseTunnelPreamble, TUNNEL_PREAMBLE_MAX } from '@codeyard/common/agent/protocol';
import { splice } from './listeners.js';

/**
 * Raw byte tunnels from a unix socket to a TCP port inside the repl. The client's first line
 * names the port (`PORT 3000`); everything after it, both ways, is the app's own traffic (HTTP,
 * WebSocket, anything). The proxy reaches every repl port this way without the repl needing a
 * host port, and the repl's network can be its own namespace.
 */
export function createTunnelServer(options: { reservedPorts?: ReadonlySet<number> } = {}): net.Server {
  const reserved = options.reservedPorts ?? new Set<number>();
  return net.createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(0x0a);
      if (newline === -1) {
        if (head.length > TUNNEL_PREAMBLE_MAX) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const port = parseTunnelPreamble(head.subarray(0, newline).toString('latin1'));
      // Ports of the agent's own (the egress relay) are never reachable from outside the repl.
      if (port === undefined || reserved.has(port)) return void client.destroy();
      connectLoopback(port, head.subarray(newline + 1), client);
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
}

/**
 * Apps bind 0.0.0.0, 127.0.0.1 or (Node's and Vite's `localhost`) ::1. Try IPv4 loopback
 * first, then IPv6; when neither answers, close the client so the proxy reports 502.
 */
export function connectLoopback(port: number, rest: Buffer, client: net.Socket, hosts = ['127.0.0.1', '::1']): void {
  const [host, ...others] = hosts;
  const upstream = net.connect({ host, port });
  upstream.once('connect', () => {
    upstream.off('error', onConnectError);
    if (rest.length) upstream.write(rest);
    splice(client, upstream);
    client.resume();
  });
  const onConnectError = (): void => {
    upstream.destroy();
    if (others.length && !client.destroyed) connectLoopback(port, rest, client, others);
    else client.destroy();
  };
  upstream.once('error', onConnectError);
}
