import { AppError } from '@codeyard/common/errors';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Tables } from './schema.js';

/** One stored secret: `value` is the encrypted envelope (secrets/secret-cipher.ts). */
export interface StoredSecret {
  name: string;
  value: string;
  updatedAt: string;
}

/** A repl's secrets as of one moment, with the revision they are (migration 015). */
export interface SecretSet {
  revision: number;
  secrets: StoredSecret[];
}

/**
 * The repl_secrets rows (migration 014) and each repl's secrets revision (015), the same on
 * SQLite and PostgreSQL. It stores what it is given: the encryption and the rules (names, sizes,
 * how many) are the caller's (ReplSecrets), checked inside the write's transaction. Rows are
 * deleted with their repl by the foreign key.
 *
 * Every write is one transaction that first bumps the repl's revision: on PostgreSQL that update
 * locks the repl's row until the commit, so writes to one repl's secrets, from any portal, go one
 * at a time and each sees the rows the one before left (the limits hold under parallel PUTs). On
 * SQLite the portal's one connection runs one transaction at a time (Kysely's mutex), and the
 * transaction's statements run without giving the event loop a turn, so no other connection of
 * the process can wait on its lock in between.
 */
export class SecretRepository {
  constructor(readonly db: Kysely<Tables>) {}

  /** A repl's secrets, by name. */
  async list(replId: string): Promise<StoredSecret[]> {
    return (await this.read(replId)).secrets;
  }

  /** The secrets and their revision in one statement (one snapshot): a push carries the revision of exactly the set it sends. */
  async read(replId: string): Promise<SecretSet> {
    const rows = await this.db
      .selectFrom('repls')
      .leftJoin('repl_secrets', 'repl_secrets.repl_id', 'repls.id')
      .select(['repls.secrets_revision', 'repl_secrets.name', 'repl_secrets.value', 'repl_secrets.updated_at'])
      .where('repls.id', '=', replId)
      .orderBy('repl_secrets.name')
      .execute();
    const secrets = rows.flatMap((r) => (r.name === null || r.value === null || r.updated_at === null ? [] : [{ name: r.name, value: r.value, updatedAt: r.updated_at }]));
    return { revision: Number(rows[0]?.secrets_revision ?? 0), secrets };
  }

  /**
   * Sets one secret and bumps the revision, in one transaction; `check` sees the repl's other
   * secrets (after any write before it has committed) and throws to refuse (nothing is written).
   */
  async put(replId: string, secret: StoredSecret, check: (others: StoredSecret[]) => void): Promise<{ outcome: 'created' | 'replaced'; revision: number }> {
    return this.#change(replId, async (trx, revision) => {
      const rows = await trx.selectFrom('repl_secrets').select(['name', 'value', 'updated_at']).where('repl_id', '=', replId).execute();
      check(rows.filter((r) => r.name !== secret.name).map((r) => ({ name: r.name, value: r.value, updatedAt: r.updated_at })));
      await trx
        .insertInto('repl_secrets')
        .values({ repl_id: replId, name: secret.name, value: secret.value, updated_at: secret.updatedAt })
        .onConflict((c) => c.columns(['repl_id', 'name']).doUpdateSet({ value: secret.value, updated_at: secret.updatedAt }))
        .execute();
      return { outcome: rows.some((r) => r.name === secret.name) ? 'replaced' : 'created', revision };
    });
  }

  /** Deletes one secret and bumps the revision; the new revision, or undefined (nothing bumped) when the repl had none of that name. */
  async delete(replId: string, name: string): Promise<number | undefined> {
    try {
      return await this.#change(replId, async (trx, revision) => {
        const result = await trx.deleteFrom('repl_secrets').where('repl_id', '=', replId).where('name', '=', name).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) throw new NoSuchSecret();
        return revision;
      });
    } catch (err) {
      if (err instanceof NoSuchSecret) return undefined;
      throw err;
    }
  }

  /** Runs a write in a transaction that bumps the repl's revision first (the lock, see the class); a repl that is gone is a 404. */
  #change<T>(replId: string, write: (trx: Transaction<Tables>, revision: number) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const bumped = await trx
        .updateTable('repls')
        .set({ secrets_revision: sql`secrets_revision + 1` })
        .where('id', '=', replId)
        .returning('secrets_revision')
        .executeTakeFirst();
      if (!bumped) throw new AppError('NOT_FOUND', `there is no repl ${replId}`);
      return write(trx, Number(bumped.secrets_revision));
    });
  }
}

/** Rolls a delete's bump back when there was nothing to delete. */
class NoSuchSecret extends Error {}
