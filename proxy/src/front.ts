import type http from 'node:http';
import net from 'node:net';
import { type FastAccess, parseRequestHead, type RequestHead, spliceConnection } from './fast-path.js';

/** Like Node's own request timeout: a fast connection quiet this long both ways is closed. */
const IDLE_MS = 300_000;

export interface FrontOptions {
  /** The full HTTP server (portal, proxy slow path): gets every connection the fast path does not take. */
  http: http.Server;
  /** Whether a connection whose first request is `head` goes the fast path, and where. */
  decide(head: RequestHead, socket: net.Socket): Promise<FastAccess | undefined>;
  /** Idle fast-path connections are closed after this long. */
  idleMs?: number;
  /** A first request head must be complete within this long (else the full server handles it). */
  headTimeoutMs?: number;
}

/**
 * What listens on the public port: reads the first request head of each connection and either
 * splices it to a repl (fast path) or hands the socket, bytes read included, to the full HTTP
 * server, which then sees an ordinary connection.
 */
export function createFrontServer(options: FrontOptions): net.Server & { fastConnections(): number; closeAll(): void } {
  let fast = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    let buffered: Buffer = Buffer.alloc(0);
    let decided = false;
    const handOff = (): void => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      if (socket.destroyed) return;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.pause();
      if (buffered.length) socket.unshift(buffered);
      options.http.emit('connection', socket);
      socket.resume();
    };
    const onError = (): void => void socket.destroy();
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const head = parseRequestHead(buffered);
      if (head === 'incomplete') return;
      if (head === 'invalid') return handOff();
      socket.off('data', onData);
      socket.pause();
      clearTimeout(timer);
      options.decide(head, socket).then(
        (access) => {
          if (!access || socket.destroyed) return handOff();
          decided = true;
          socket.off('error', onError);
          fast++;
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          spliceConnection(socket, buffered, access, options.idleMs ?? IDLE_MS);
        },
        () => handOff(),
      );
    };
    const timer = setTimeout(handOff, options.headTimeoutMs ?? 10_000);
    socket.on('error', onError);
    socket.on('data', onData);
    socket.resume();
  });
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  return Object.assign(server, {
    fastConnections: () => fast,
    /** Ends the fast-path connections too (net.Server.close waits for them otherwise). */
    closeAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  });
}
