import type { Kysely } from 'kysely';
import type { Tables } from './schema.js';

/** One stored secret: `value` is the encrypted envelope (secrets/secret-cipher.ts). */
export interface StoredSecret {
  name: string;
  value: string;
  updatedAt: string;
}

/**
 * The repl_secrets rows (migration 014), the same on SQLite and PostgreSQL. It stores what it is
 * given: the encryption and the rules (names, sizes, how many) are the caller's (ReplSecrets).
 * Rows are deleted with their repl by the foreign key.
 */
export class SecretRepository {
  constructor(readonly db: Kysely<Tables>) {}

  /** A repl's secrets, by name. */
  async list(replId: string): Promise<StoredSecret[]> {
    const rows = await this.db.selectFrom('repl_secrets').select(['name', 'value', 'updated_at']).where('repl_id', '=', replId).orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, value: r.value, updatedAt: r.updated_at }));
  }

  /** Sets one secret; whether it was new or replaced an older value. */
  async put(replId: string, secret: StoredSecret): Promise<'created' | 'replaced'> {
    const existed = await this.db.selectFrom('repl_secrets').select('name').where('repl_id', '=', replId).where('name', '=', secret.name).executeTakeFirst();
    await this.db
      .insertInto('repl_secrets')
      .values({ repl_id: replId, name: secret.name, value: secret.value, updated_at: secret.updatedAt })
      .onConflict((c) => c.columns(['repl_id', 'name']).doUpdateSet({ value: secret.value, updated_at: secret.updatedAt }))
      .execute();
    return existed ? 'replaced' : 'created';
  }

  /** Deletes one secret; false when the repl had none of that name. */
  async delete(replId: string, name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('repl_secrets').where('repl_id', '=', replId).where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
