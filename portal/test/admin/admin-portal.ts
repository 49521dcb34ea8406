import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { AuditEvent, AuditPage } from '@codeyard/common/api/admin';
import type { Role } from '@codeyard/common/api/auth';
import type { Scope } from '@codeyard/common/api/tokens';
import { Accounts } from '../../src/accounts/accounts.js';
import { newId } from '../../src/accounts/secret-tokens.js';
import { ApiTokens } from '../../src/tokens/api-tokens.js';
import type { TokenPortal } from '../tokens/token-portal.js';

/** A signed-in user made for a test: the account's id and an API token with the scopes asked for. */
export interface TestUser {
  id: string;
  email: string;
  token: string;
}

let counter = 0;

/**
 * A user with this role, straight into the database (the sign-in routes are another part's),
 * and a personal API token of it with `scopes` (default: every scope the role allows).
 */
export async function makeUser(t: TokenPortal, role: Role, scopes?: Scope[]): Promise<TestUser> {
  const email = `${role}${++counter}-${Date.now()}@example.test`;
  const created = await t.database.accounts.insertUser({ id: newId('u'), createdAt: new Date(t.clock.now).toISOString(), email, emailVerified: true, name: `${role} ${counter}`, role });
  assert.ok(created !== 'email-taken');
  const token = await tokenOf(t, created.id, scopes ?? (role === 'admin' ? ['read', 'write', 'admin'] : ['read', 'write']));
  return { id: created.id, email, token };
}

/** Another API token of an account, with these scopes (made as the page or the device flow would). */
export async function tokenOf(t: TokenPortal, accountId: string, scopes: Scope[]): Promise<string> {
  const tokens = new ApiTokens({ repository: t.database.apiTokens, accounts: new Accounts(t.database.accounts), now: () => t.clock.now });
  return (await tokens.issue(accountId, `test ${scopes.join('+')}`, scopes, t.clock.now + 30 * 24 * 3600_000)).token;
}

/** The audit events matching `query` (a JSON page), through the API as `bearer`. */
export async function auditEvents(t: TokenPortal, bearer: string, query = ''): Promise<AuditEvent[]> {
  const res = await t.call({ bearer }, 'GET', `/api/admin/audit${query ? `?${query}` : ''}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<AuditPage>().events;
}

/** Asserts a JSON answer's status, and returns its body. */
export function ok<T>(res: LightMyRequestResponse, status = 200): T {
  assert.equal(res.statusCode, status, res.body);
  return res.json<T>();
}
