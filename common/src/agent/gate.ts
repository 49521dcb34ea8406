import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The agent's gate: how the proxy and the portal reach a repl over a network (a Kubernetes pod)
 * instead of the unix sockets a local sandbox has. One TCP port per pod; every connection starts
 * with one line that carries the pod's own secret and what it wants:
 *
 *   CODEYARD <secret> CONTROL\n     the agent's control API (HTTP, routes.ts)
 *   CODEYARD <secret> IDE\n         code-server (HTTP and WebSocket)
 *   CODEYARD <secret> PORT 3000\n   a port inside the repl (raw bytes: the app's HTTP, anything)
 *
 * and from then on carries the traffic as it is. A connection whose first line is anything else
 * (a plain HTTP request, a wrong secret, no line within a few seconds) is closed without a byte of
 * answer: a pod's address alone opens nothing. The secret is per pod, made by the runtime and
 * handed to the agent in its config (the pod's Secret).
 */
export type GateTarget = { to: 'control' } | { to: 'ide' } | { to: 'port'; port: number };

/** A pod's gate secret: 64 lowercase hex characters (32 random bytes). */
export const GATE_SECRET_PATTERN = /^[0-9a-f]{64}$/;

/** The longest first line a gate reads before it gives up on a connection. */
export const GATE_PREAMBLE_MAX = 128;

/** How long a gate waits for the first line. */
export const GATE_PREAMBLE_TIMEOUT_MS = 5000;

export function isGateSecret(value: unknown): value is string {
  return typeof value === 'string' && GATE_SECRET_PATTERN.test(value);
}

/** The line a client writes first (with its newline). */
export function gatePreamble(secret: string, target: GateTarget): string {
  const what = target.to === 'port' ? `PORT ${target.port}` : target.to.toUpperCase();
  return `CODEYARD ${secret} ${what}\n`;
}

/**
 * Reads a first line (without its newline) against the pod's secret: the target when the line is
 * well formed and its secret is this pod's, undefined otherwise (never saying which was wrong).
 */
export function openGate(line: string, secret: string): GateTarget | undefined {
  const match = /^CODEYARD ([0-9a-f]{64}) (CONTROL|IDE|PORT ([1-9][0-9]{0,4}))$/.exec(line);
  if (!match || !sameSecret(match[1]!, secret)) return undefined;
  if (match[2] === 'CONTROL') return { to: 'control' };
  if (match[2] === 'IDE') return { to: 'ide' };
  const port = Number(match[3]);
  return port <= 65535 ? { to: 'port', port } : undefined;
}

/** Compares in constant time (over digests, so lengths never show either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
