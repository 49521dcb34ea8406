import type { Kysely } from 'kysely';
import type { Tables } from './schema.js';

/**
 * One-off facts about this server kept in the `meta` table (who the owner is, the hash of the
 * owner link's code). Each change is one statement, so portals sharing the database agree on
 * who wrote first.
 */
export class MetaRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  /** Sets the value, replacing any. */
  async put(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((c) => c.column('key').doUpdateSet({ value }))
      .execute();
  }

  /** Sets the value only when the key has none; true when this call set it. */
  async putIfAbsent(key: string, value: string): Promise<boolean> {
    const result = await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((c) => c.column('key').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  /** Deletes the key if it holds exactly `value`; true for the one caller that did (a single use). */
  async takeIf(key: string, value: string): Promise<boolean> {
    const result = await this.db.deleteFrom('meta').where('key', '=', key).where('value', '=', value).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }
}
