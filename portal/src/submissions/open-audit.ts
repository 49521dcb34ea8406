/**
 * How long one audit row stands for a teacher's reading of one submitted version: a grading
 * session's worth of clicks through its files. Reading it again after that records a new row,
 * so the log still shows a teacher who comes back (or keeps reading) later.
 */
export const OPEN_AUDIT_WINDOW_MS = 30 * 60_000;
/** Versions remembered at most (the oldest are forgotten first: forgetting only records a row again). */
const MAX_REMEMBERED = 10_000;

/**
 * Which reads of a submission are audited: the first of each teacher (account) in each version
 * (`class.submission-open`, naming the version and the first path), not each of its files again
 * within OPEN_AUDIT_WINDOW_MS. Every teacher access stays recorded, as "opened version n at
 * t", and reading a version's 10 files is one row, not 10. Per portal: with several portals
 * sharing a database, each records its own first read.
 */
export class SubmissionOpens {
  /** `<account> <repl> <n>` → when its row was recorded; a Map keeps insertion order, oldest first. */
  readonly #recorded = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Whether this read is to be recorded (the first in its window), and if so marks it. `record`
   * writes the row; when it fails the mark is taken back, so the next read records it instead.
   */
  async read(accountId: string, replId: string, number: number, record: () => Promise<void>): Promise<void> {
    const key = `${accountId} ${replId} ${number}`;
    const at = this.now();
    const last = this.#recorded.get(key);
    if (last !== undefined && at - last < OPEN_AUDIT_WINDOW_MS) return;
    this.#recorded.delete(key);
    this.#recorded.set(key, at);
    if (this.#recorded.size > MAX_REMEMBERED) this.#recorded.delete(this.#recorded.keys().next().value!);
    try {
      await record();
    } catch (err) {
      if (this.#recorded.get(key) === at) this.#recorded.delete(key);
      throw err;
    }
  }
}
