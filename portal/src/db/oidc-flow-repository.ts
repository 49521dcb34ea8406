import type { Kysely } from 'kysely';
import type { Tables } from './schema.js';

/** What a callback needs to finish a browser's sign-in: the checks its authorization request carried. */
export interface OidcFlowRecord {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The signed-in account a "connect" flow links the identity to. */
  linkAccount?: string;
  /** The invite token a sign-up uses (kept only for the flow's ten minutes). */
  invite?: string;
  createdAt: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Sign-ins under way, by the SHA-256 of the browser's flow cookie. A flow is taken (deleted and
 * returned in one statement) by the callback, so a replayed callback, or two replicas given the
 * same one, finish it at most once.
 */
export class OidcFlowRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(idHash: string, flow: OidcFlowRecord): Promise<void> {
    await this.db
      .insertInto('oidc_flows')
      .values({
        id_hash: idHash,
        provider: flow.provider,
        state: flow.state,
        nonce: flow.nonce,
        code_verifier: flow.codeVerifier,
        link_account: flow.linkAccount ?? null,
        invite: flow.invite ?? null,
        created_at: flow.createdAt,
        expires_at: flow.expiresAt,
      })
      .execute();
  }

  /** Removes and answers the flow (an expired one too: the caller tells the browser it expired). */
  async take(idHash: string): Promise<OidcFlowRecord | undefined> {
    const row = await this.db.deleteFrom('oidc_flows').where('id_hash', '=', idHash).returningAll().executeTakeFirst();
    if (!row) return undefined;
    return {
      provider: row.provider,
      state: row.state,
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      ...(row.link_account !== null ? { linkAccount: row.link_account } : {}),
      ...(row.invite !== null ? { invite: row.invite } : {}),
      createdAt: row.created_at,
      expiresAt: Number(row.expires_at),
    };
  }

  /** Deletes flows that expired before `now` (browsers that never came back); answers how many. */
  async sweep(now: number): Promise<number> {
    const result = await this.db.deleteFrom('oidc_flows').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
