import { KeyedQueue, Tally } from '@codeyard/common/concurrency';

/**
 * Admission against a per-account limit, atomic within one portal. The check and the taking of
 * a slot run one at a time per account, and the slot stays held until the work that needed it
 * has ended, when the runtime's own status counts it (or not, if it failed). Without this,
 * concurrent starts each counted the others as "not running yet" and all went ahead (issue 10,
 * class 9). Across portal replicas the repl limit is held again by the database's conditional
 * insert (ReplRepository.insertWithinLimit); the running limit counts what the runtime reports.
 */
export class Admission {
  readonly #queue = new KeyedQueue();
  /** account → id → how many pieces of work hold a slot for that id. */
  readonly #held = new Map<string, Tally<string>>();

  /** The ids that hold a slot of `account` now: admitted, their work not finished yet. */
  held(account: string): string[] {
    return [...(this.#held.get(account)?.keys() ?? [])];
  }

  /**
   * Runs `check` (which throws to refuse) alone for `account`, then `work` while holding a slot
   * for `id`. Work for the same id holds one slot, however many calls there are.
   */
  async run<T>(account: string, id: string, check: () => Promise<void>, work: () => Promise<T>): Promise<T> {
    await this.#queue.run(account, async () => {
      await check();
      this.#take(account, id);
    });
    try {
      return await work();
    } finally {
      this.#release(account, id);
    }
  }

  #take(account: string, id: string): void {
    const ids = this.#held.get(account) ?? new Tally<string>();
    ids.add(id);
    this.#held.set(account, ids);
  }

  #release(account: string, id: string): void {
    const ids = this.#held.get(account);
    ids?.remove(id);
    if (ids?.size === 0) this.#held.delete(account);
  }
}
