import net from 'node:net';
import { listenUnixSocket } from '@codeyard/common/http-server';

/**
 * Where one of the agent's servers listens: a unix socket path it binds itself (inside the repl,
 * for the VS Code extension and tests), and/or a listening descriptor the runtime bound on the
 * host and handed over at spawn. The host side only ever connects to sockets it bound itself,
 * in a folder the repl cannot change: nothing a repl writes can redirect those connections.
 */
export interface ListenOn {
  path?: string;
  fd?: number;
}

function listenFd(server: net.Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Serves `server` on every place `where` names. A second place is a plain net.Server whose
 * connections are handed to `server`, so one HTTP server answers on both.
 */
export async function listenOn(server: net.Server, where: ListenOn): Promise<net.Server[]> {
  const places: Array<(s: net.Server) => Promise<void>> = [];
  if (where.fd !== undefined) places.push((s) => listenFd(s, where.fd!));
  // A path of its own: only the agent's own user (and root) may open it.
  if (where.path) places.push((s) => listenUnixSocket(s, where.path!));
  if (!places.length) throw new Error('nowhere to listen: give a socket path or a descriptor');
  const servers = [server];
  await places[0]!(server);
  for (const place of places.slice(1)) {
    const extra = net.createServer((socket) => server.emit('connection', socket));
    await place(extra);
    servers.push(extra);
  }
  return servers;
}

/**
 * Relays every connection, byte for byte, to `connect()`'s socket (the egress proxy's unix
 * socket, code-server's own socket). Either side ending ends the other.
 */
export function relayServer(connect: () => net.Socket): net.Server {
  return net.createServer((client) => splice(client, connect()));
}

/** Pipes two connected sockets into each other, both ways; either one ending or failing ends the other. */
export function splice(client: net.Socket, upstream: net.Socket): void {
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}
