import type http from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/**
 * A visitor's address as rate limits should count it: the socket's, or behind the reverse
 * proxies named in CODEYARD_TRUSTED_PROXIES, the X-Forwarded-For entry they vouch for. The same
 * rule Fastify applies to the portal's own routes (its `trustProxy` uses this library), so the
 * repl hosts' ticket limit and the portal's sign-in limit see the same visitor.
 */
export function clientAddressOf(trustedProxies: readonly string[]): (req: http.IncomingMessage) => string {
  if (!trustedProxies.length) return (req) => req.socket.remoteAddress ?? '';
  const trust = proxyAddr.compile([...trustedProxies]);
  return (req) => proxyAddr(req, trust);
}
