import type { FastifyRequest } from 'fastify';
import type { Actor } from './audit.js';

/**
 * Who made this request, for the audit log: the machine's admin token (no account), or the
 * signed-in account and its credential (kind and id: a session's or token's id; for a legacy
 * `cy_` token, the account's). Undefined for nobody signed in.
 */
export function actorOf(request: FastifyRequest): Actor | undefined {
  if (request.adminOperator) return { credential: { kind: 'admin-token' } };
  if (!request.account) return undefined;
  const credential = request.credential;
  return { accountId: request.account.id, ...(credential ? { credential: { kind: credential.kind, id: credential.id } } : {}) };
}

/** The actor and the client's address (the visitor's behind a trusted proxy): what every audit entry from a route carries. */
export function seenFrom(request: FastifyRequest): { actor?: Actor; address: string } {
  const actor = actorOf(request);
  return { ...(actor ? { actor } : {}), address: request.ip };
}
