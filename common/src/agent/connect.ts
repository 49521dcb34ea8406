import net from 'node:net';
import { gatePreamble } from './gate.js';
import { type Target, tunnelPreamble } from './protocol.js';

/**
 * Opens a byte stream to `target`, its first line written when the target needs one (a tunnel's
 * port, a gate's secret and destination): what is written next reaches the service itself. The
 * one place every client (the proxy, the portal's agent client, the logs socket) connects from.
 */
export function connectTarget(target: Target): net.Socket {
  switch (target.kind) {
    case 'unix':
      return net.connect(target.socketPath);
    case 'tcp':
      return net.connect(target.port, target.host);
    case 'tunnel': {
      const socket = net.connect(target.socketPath);
      socket.write(tunnelPreamble(target.port));
      return socket;
    }
    case 'gate': {
      const socket = net.connect(target.port, target.host);
      socket.write(gatePreamble(target.secret, target.to));
      return socket;
    }
  }
}

/** A short name of a target for messages and connection pools (never its secret). */
export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'unix':
      return target.socketPath;
    case 'tcp':
      return `${target.host}:${target.port}`;
    case 'tunnel':
      return `${target.socketPath} port ${target.port}`;
    case 'gate':
      return `${target.name ? `${target.name} ` : ''}${target.host}:${target.port} ${target.to.to === 'port' ? `port ${target.to.port}` : target.to.to}`;
  }
}
