import { randomBytes } from 'node:crypto';
import { API_TOKEN_PREFIX, type ApiToken, type CreatedToken, type CreateToken, type Scope, TOKEN_DEFAULT_DAYS } from '@codeyard/common/api/tokens';
import { AppError } from '@codeyard/common/errors';
import { type Account, type Accounts, hashToken } from '../accounts/accounts.js';
import type { Credential, CredentialResolver, Resolved } from '../api/credential.js';
import { normalizeScopes, scopesAllowedFor } from '../api/credential.js';
import type { ApiTokenRecord, ApiTokenRepository } from '../db/token-repository.js';

/** `cyp_` + 43 base64url characters: 256 random bits. */
const TOKEN_PATTERN = /^cyp_[A-Za-z0-9_-]{43}$/;
/** A token's last use is written at most this often (per token, across portals): not a write per request. */
export const LAST_USED_EVERY_MS = 60_000;
/** Working tokens one account may hold (each device sign-in makes one; sign out revokes it). */
export const MAX_TOKENS_PER_ACCOUNT = 100;
const DAY_MS = 24 * 3600_000;

/** What to do when a token stops working, in every 401 about one. */
const RENEW = 'create a new one in the Codeyard page (API tokens), or run `codeyard login` again';

export interface ApiTokensOptions {
  repository: ApiTokenRepository;
  accounts: Accounts;
  /** The clock (tests move it). */
  now?: () => number;
  /** Told of a token's use when its last use is written (at most once a minute per token, across portals): the audit log. */
  onUse?: (use: { tokenId: string; accountId: string; name: string; address?: string }) => void;
}

function view(record: ApiTokenRecord): ApiToken {
  return { id: record.id, name: record.name, scopes: record.scopes, createdAt: record.createdAt, expiresAt: record.expiresAt, lastUsedAt: record.lastUsedAt };
}

/**
 * Personal API tokens (`cyp_…`): named, scoped and expiring credentials for scripts, the CLI and
 * the desktop app, sent as `Authorization: Bearer` only. The database keeps the token's SHA-256
 * (a long random token needs no slow hash), and nothing is cached in a portal: a revoked token is
 * refused by every replica at once. Any account may have them, however it signed in.
 */
export class ApiTokens {
  readonly #repository: ApiTokenRepository;
  readonly #accounts: Accounts;
  readonly #now: () => number;
  readonly #onUse: ApiTokensOptions['onUse'];

  constructor(options: ApiTokensOptions) {
    this.#repository = options.repository;
    this.#accounts = options.accounts;
    this.#now = options.now ?? Date.now;
    this.#onUse = options.onUse;
  }

  /**
   * A new token for `account`, asked for with `credential`. A token may only make tokens within
   * itself: no scope it lacks, and no later expiry (a leaked short-lived token cannot become a
   * long-lived one). Scopes default to read and write; `admin` needs an admin account.
   */
  async create(account: Account, credential: Credential, request: CreateToken): Promise<CreatedToken> {
    const scopes = normalizeScopes(request.scopes ?? ['read', 'write']);
    const allowed = scopesAllowedFor(account);
    const notAllowed = scopes.filter((s) => !allowed.includes(s));
    if (notAllowed.length) throw new AppError('FORBIDDEN', `this account may not give a token the scope ${notAllowed.join(', ')} (only ${allowed.join(', ')})`, { missingScope: notAllowed[0] });
    const expiresAt = this.#now() + (request.expiresInDays ?? TOKEN_DEFAULT_DAYS) * DAY_MS;
    if (credential.kind === 'token') {
      const beyond = scopes.filter((s) => !credential.scopes.includes(s));
      if (beyond.length) {
        throw new AppError('FORBIDDEN', `this API token has the scopes ${credential.scopes.join(', ')} and cannot make a token with more (${beyond.join(', ')}); create it from the Codeyard page instead`, { missingScope: beyond[0] });
      }
      const parent = await this.#repository.byId(credential.id);
      if (parent && Date.parse(parent.expiresAt) < expiresAt) {
        throw new AppError('FORBIDDEN', `this API token expires at ${parent.expiresAt} and cannot make one that outlives it: ask for fewer days (expiresInDays), or create it from the Codeyard page`);
      }
    }
    return this.issue(account.id, request.name, scopes, expiresAt);
  }

  /** Makes and stores a token (no caller checks: `create` and the device flow make them). */
  async issue(accountId: string, name: string, scopes: Scope[], expiresAtMs: number): Promise<CreatedToken> {
    const now = new Date(this.#now()).toISOString();
    if ((await this.#repository.countActive(accountId, now)) >= MAX_TOKENS_PER_ACCOUNT) {
      throw new AppError('LIMIT_REACHED', `this account has ${MAX_TOKENS_PER_ACCOUNT} working API tokens, the most it may have: revoke some you no longer use (API tokens, or DELETE /api/tokens/:id)`);
    }
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: ApiTokenRecord = {
      id: `t${randomBytes(10).toString('hex')}`,
      tokenHash: hashToken(token),
      accountId,
      name: name.trim() || 'API token',
      scopes: normalizeScopes(scopes),
      createdAt: now,
      expiresAt: new Date(expiresAtMs).toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.#repository.insert(record);
    return { token, id: record.id, name: record.name, scopes: record.scopes, createdAt: record.createdAt, expiresAt: record.expiresAt };
  }

  /** The account's tokens (expired ones too, until revoked), newest first; never the tokens themselves. */
  async list(accountId: string): Promise<ApiToken[]> {
    return (await this.#repository.listByAccount(accountId)).map(view);
  }

  /** Revokes one of the account's tokens; another account's, or an unknown one, is a 404. */
  async revoke(accountId: string, id: string): Promise<void> {
    if (!(await this.#repository.revoke(accountId, id, new Date(this.#now()).toISOString()))) throw new AppError('NOT_FOUND', `this account has no API token ${id} (or it was revoked already)`);
  }

  /** Revokes the token the request was made with (the CLI's and the desktop app's sign out). */
  async revokeCurrent(accountId: string, credential: Credential): Promise<void> {
    if (credential.kind !== 'token') throw new AppError('BAD_REQUEST', 'this request was not made with an API token: DELETE /api/tokens/current revokes the bearer token that calls it; revoke a token by its id instead');
    await this.revoke(accountId, credential.id);
  }

  /**
   * Who a token is: its account and credential, a refusal saying why it no longer works
   * (expired, revoked, its account gone), or undefined for anything else (malformed, unknown).
   * Its last use is recorded at most once a minute.
   */
  async resolve(token: string, seen: { address?: string } = {}): Promise<Resolved | { refusal: string } | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const record = await this.#repository.byTokenHash(hashToken(token));
    if (!record) return { refusal: `this API token is not known: ${RENEW}` };
    const now = this.#now();
    if (record.revokedAt) return { refusal: `this API token ("${record.name}") was revoked at ${record.revokedAt}: ${RENEW}` };
    if (Date.parse(record.expiresAt) <= now) return { refusal: `this API token ("${record.name}") expired at ${record.expiresAt}: ${RENEW}` };
    const account = await this.#accounts.byId(record.accountId);
    // A disabled account's tokens stop working at once, as its sessions do.
    if (!account || account.disabled) return { refusal: 'the account of this API token is disabled or gone' };
    if (!record.lastUsedAt || Date.parse(record.lastUsedAt) < now - LAST_USED_EVERY_MS) {
      // Only the portal whose write wins reports the use: once a minute per token, however many portals serve it.
      if (await this.#repository.touch(record.id, new Date(now).toISOString(), new Date(now - LAST_USED_EVERY_MS).toISOString())) {
        this.#onUse?.({ tokenId: record.id, accountId: record.accountId, name: record.name, ...(seen.address ? { address: seen.address } : {}) });
      }
    }
    // Scopes are read again on every request: an account that stops being an admin loses `admin` at once.
    const allowed = scopesAllowedFor(account);
    return { account, credential: { kind: 'token', id: record.id, scopes: record.scopes.filter((s) => allowed.includes(s)) } };
  }

  /** The plug for the auth plugin: bearer tokens that start with `cyp_`. */
  resolver(): CredentialResolver {
    return { prefix: API_TOKEN_PREFIX, carriedBy: 'bearer', resolve: (token, seen) => this.resolve(token, seen) };
  }
}
