import http from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer, type ProxyTarget } from 'http-proxy-3';
import { connectTarget, describeTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';

/**
 * The one place that knows the proxy library (http-proxy-3), so it can be swapped. Forwards a
 * request or a WebSocket upgrade to a {@link Target}; keep-alive agents per upstream; every
 * error ends in the caller's `onError` (HTTP) or a closed socket (WebSocket).
 */
export class Upstreams {
  readonly #proxy = createProxyServer({ xfwd: false, changeOrigin: false, ws: true, proxyTimeout: 0 });
  readonly #agents = new Map<string, http.Agent>();

  constructor() {
    this.#proxy.on('error', (err, _req, resOrSocket) => {
      // Errors of calls made with a callback reach the callback; this catches the rest.
      if (resOrSocket && 'destroy' in resOrSocket && !(resOrSocket instanceof http.ServerResponse)) resOrSocket.destroy();
      void err;
    });
  }

  web(req: http.IncomingMessage, res: http.ServerResponse, target: Target, onError: (err: Error) => void): void {
    this.#proxy.web(req, res, this.#options(target), (err: Error) => onError(err));
  }

  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, target: Target): void {
    socket.on('error', () => socket.destroy());
    this.#proxy.ws(req, socket, head, this.#options(target), () => socket.destroy());
  }

  /** Drops pooled connections to targets whose socket path contains `part` (a repl that stopped). */
  forget(part: string): void {
    for (const [key, agent] of this.#agents) {
      if (key.includes(part)) {
        agent.destroy();
        this.#agents.delete(key);
      }
    }
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
    this.#proxy.close();
  }

  #options(target: Target): { target: ProxyTarget; agent: http.Agent } {
    switch (target.kind) {
      case 'unix':
        // host and port are placeholders: with socketPath set, Node connects to the socket.
        return { target: { host: 'localhost', port: 80, socketPath: target.socketPath }, agent: this.#agent(`unix:${target.socketPath}`, () => new http.Agent({ keepAlive: true })) };
      case 'tcp':
        return { target: { host: target.host, port: target.port }, agent: this.#agent(`tcp:${target.host}:${target.port}`, () => new http.Agent({ keepAlive: true })) };
      case 'tunnel':
      case 'gate':
        // Each connection opens with its first line (the port, or the gate's secret and destination).
        return {
          target: { host: 'localhost', port: target.kind === 'tunnel' ? target.port : target.to.to === 'port' ? target.to.port : 80 },
          agent: this.#agent(`${target.kind}:${describeTarget(target)}`, () => new TargetAgent(target)),
        };
    }
  }

  #agent(key: string, make: () => http.Agent): http.Agent {
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = make();
      this.#agents.set(key, agent);
    }
    return agent;
  }
}

/** An HTTP agent whose connections open with a first line: a tunnel's port, or a pod gate's secret and destination. */
class TargetAgent extends http.Agent {
  constructor(readonly target: Target) {
    super({ keepAlive: true });
  }

  override createConnection(): Duplex {
    return connectTarget(this.target);
  }
}
