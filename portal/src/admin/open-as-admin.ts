import type { FastifyRequest } from 'fastify';
import { AppError } from '@codeyard/common/errors';
import type { Account } from '../accounts/accounts.js';
import type { Credential } from '../api/credential.js';
import type { Audit } from '../audit/audit.js';
import type { LinkOptions } from '../repls/repl-links.js';
import type { ReplService } from '../repls/repl-service.js';

/** Whether this caller may open repls it does not own: an admin's credential with the `admin` scope. */
export function mayOpenOthers(credential: Credential | undefined): boolean {
  return credential?.scopes.includes('admin') === true;
}

/**
 * An admin opens the IDE (or a private preview) of a repl they do not own: the link signs their
 * browser in to that repl's host as its owner would be (the proxy knows owners only), and the
 * audit log records who opened whose repl. Only a navigation the admin made themselves counts:
 * a link on another site (Sec-Fetch-Site cross-site or same-site, which a repl's own preview
 * is) could otherwise walk an admin's browser into someone's IDE and write that in the log.
 */
export async function adminIdeLink(
  deps: { repls: ReplService; audit: Audit },
  request: FastifyRequest,
  caller: { account: Account; credential?: Credential },
  id: string,
  options: LinkOptions,
): Promise<string> {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('FORBIDDEN', "This link to someone else's repl came from another site. Open it from Codeyard's admin page instead.");
  }
  const { url, record } = await deps.repls.ideLinkAsOwner(id, options);
  await deps.audit.record({
    kind: 'admin.ide-open',
    actor: { accountId: caller.account.id, ...(caller.credential ? { credential: { kind: caller.credential.kind, id: caller.credential.id } } : {}) },
    target: { type: 'repl', id: record.id, account: record.owner },
    address: request.ip,
    details: { name: record.name, ...(options.port ? { port: options.port } : {}) },
  });
  return url;
}
