import type { Kysely } from 'kysely';
import type { TicketLedger } from '@codeyard/common/tickets';
import type { Tables } from './schema.js';

/** How often used nonces past their expiry are deleted (at most; on the next redeem after it). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Single use of tickets across every portal sharing the database: a nonce is redeemed by
 * inserting it, and only the insert that creates the row wins (a unique key, so two replicas
 * racing on one ticket cannot both get true). Rows are swept once expired: an expired ticket is
 * refused by its signature check before the ledger is asked.
 */
export class DbTicketLedger implements TicketLedger {
  #lastSweep = 0;

  constructor(readonly db: Kysely<Tables>) {}

  /** True only the first time `nonce` is redeemed. */
  async redeem(nonce: string, expiresAt: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      await this.sweep(now);
    }
    const result = await this.db
      .insertInto('tickets_used')
      .values({ nonce, expires_at: expiresAt })
      .onConflict((conflict) => conflict.column('nonce').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  /** Deletes the nonces that expired by `now`; answers how many. */
  async sweep(now = Date.now()): Promise<number> {
    const result = await this.db.deleteFrom('tickets_used').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
