import fs from 'node:fs';
import fsp from 'node:fs/promises';
import dns from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { blockedReason, hostAddressReason } from '@codeyard/common/addresses';

/**
 * The only way out of a repl whose network is `internet`: an HTTP proxy (CONNECT for TLS, plain
 * forwarding for http://) that the repl reaches through a unix socket. Why a proxy and not NAT:
 * it needs no root, no host firewall or ip_forward change, and each name is resolved here and the
 * connection made to the very address that was checked, so a repl cannot talk its way to a
 * private, loopback, link-local or metadata address (no DNS rebinding). The price: HTTP(S) only;
 * raw TCP and UDP do not leave a repl.
 */
/** Outbound mail ports, closed as cloud providers close them: repls are not for sending spam. */
export const BLOCKED_PORTS = new Set([25, 465, 587]);

export interface EgressOptions {
  lookup?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  blockedReason?: (ip: string) => string | undefined;
  connect?: (port: number, host: string) => net.Socket;
  log?: { info(obj: object, msg: string): void };
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The reason phrase of a refusal: the refusal itself, so that clients which print only the status
 * line (pip's "Tunnel connection failed: 403 …", curl's "CONNECT tunnel failed") say why the
 * request was refused and by whom, not a bare "403 Forbidden". Printable ASCII only: a name the
 * repl chose must not be able to split the status line.
 */
export function reasonPhrase(message: string): string {
  const printable = message.replace(/[^\x20-\x7e]/g, '?');
  return `Codeyard egress proxy: ${printable.length > 200 ? `${printable.slice(0, 197)}...` : printable}`;
}

function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

export function createEgressProxy(options: EgressOptions = {}): http.Server {
  const lookup = options.lookup ?? ((host: string) => dns.lookup(host, { all: true, verbatim: true }));
  const reasonFor = options.blockedReason ?? ((ip: string) => blockedReason(ip) ?? hostAddressReason(ip));
  const connect = options.connect ?? ((port: number, host: string) => net.connect({ port, host }));

  /** The first public address of a name; refuses when it has none. */
  async function resolvePublic(host: string): Promise<string> {
    let addresses: Array<{ address: string }>;
    try {
      addresses = net.isIP(host) ? [{ address: host }] : await lookup(host);
    } catch {
      throw new Refusal(502, `cannot resolve ${host}`);
    }
    const allowed = addresses.find((a) => reasonFor(a.address) === undefined);
    if (!allowed) {
      const first = addresses[0]?.address ?? host;
      throw new Refusal(403, `${host} (${first}) is a ${reasonFor(first)} address; repls may reach public internet addresses only`);
    }
    return allowed.address;
  }

  const refuseSocket = (socket: Duplex, status: number, message: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reasonPhrase(message)}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message) + 1}\r\nconnection: close\r\n\r\n${message}\n`);
  };

  const refuse = (res: http.ServerResponse, status: number, message: string): void => {
    res.writeHead(status, reasonPhrase(message), { 'content-type': 'text/plain' }).end(`${message}\n`);
  };

  const server = http.createServer((req, res) => {
    // Plain http:// through the proxy: the request line carries the absolute URL.
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      refuse(res, 400, 'this is an egress proxy: send absolute http:// URLs or CONNECT');
      return;
    }
    if (url.protocol !== 'http:') {
      refuse(res, 400, `only http:// is forwarded; use CONNECT for ${url.protocol}`);
      return;
    }
    const port = Number(url.port || 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (BLOCKED_PORTS.has(port)) {
      refuse(res, 403, `port ${port} (mail) is closed to repls`);
      return;
    }
    resolvePublic(host)
      .then((ip) => {
        const headers = { ...req.headers };
        delete headers['proxy-connection'];
        delete headers['proxy-authorization'];
        const upstream = http.request({ host: ip, port, method: req.method, path: `${url.pathname}${url.search}`, headers, setHost: false, timeout: 30_000 }, (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        });
        upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
        upstream.on('error', (err) => (res.headersSent ? res.destroy() : refuse(res, 502, `${host}: ${err.message}`)));
        req.pipe(upstream);
      })
      .catch((err: unknown) => {
        const refusal = err instanceof Refusal ? err : new Refusal(502, String(err));
        options.log?.info({ host, port, status: refusal.status }, 'egress refused');
        refuse(res, refusal.status, refusal.message);
      });
  });

  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => client.destroy());
    const target = parseAuthority(req.url ?? '');
    if (!target) return refuseSocket(client, 400, 'CONNECT needs host:port');
    if (BLOCKED_PORTS.has(target.port)) return refuseSocket(client, 403, `port ${target.port} (mail) is closed to repls`);
    resolvePublic(target.host)
      .then((ip) => {
        const upstream = connect(target.port, ip);
        upstream.setTimeout(10_000, () => upstream.destroy(new Error('connect timeout')));
        upstream.once('connect', () => {
          upstream.setTimeout(0);
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', (err) => (client.writable ? refuseSocket(client, 502, `${target.host}:${target.port}: ${err.message}`) : client.destroy()));
        client.on('close', () => upstream.destroy());
      })
      .catch((err: unknown) => {
        const refusal = err instanceof Refusal ? err : new Refusal(502, String(err));
        options.log?.info({ host: target.host, port: target.port, status: refusal.status }, 'egress refused');
        refuseSocket(client, refusal.status, refusal.message);
      });
  });
  return server;
}

/** The egress proxy serving on `<dir>/egress.sock`; `ready` settles once it listens. */
export interface EgressService {
  server: http.Server;
  dir: string;
  ready: Promise<void>;
}

/**
 * Serves the egress proxy on a socket in `dir` (in the shared folder, a volume of its own where
 * volumes work, so its path inside a sandbox tells nothing about the host's), after `before`
 * (which mounts that folder).
 */
export function serveEgress(dir: string, before: () => Promise<void>, log: { info(obj: object, msg: string): void }): EgressService {
  const socket = `${dir}/egress.sock`;
  const server = createEgressProxy({ log });
  const ready = (async () => {
    await before();
    await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
    await fsp.chmod(dir, 0o755);
    await fsp.rm(socket, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        // Every repl uid may connect; what it can reach is the proxy's decision.
        fs.chmodSync(socket, 0o666);
        resolve();
      });
    });
  })();
  // Whoever starts a repl awaits it and sees the failure; it must not end the process before.
  ready.catch(() => undefined);
  return { server, dir, ready };
}
