import { releaseOnce, Tally } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';

/**
 * Blobs of a workspace that no manifest names yet: uploads in progress and uploads stored
 * since. A writer uploads blobs first and names them in a manifest last, so such blobs are
 * normal for a while; left alone they would fill the store without counting anywhere (one
 * repl stored 287 MB for a 24 KB workspace). The ledger makes them count against the
 * workspace's quota and tells the collector which of them are too young to remove.
 *
 * It lives in the portal's memory: one portal serves one repl's relay, and blobs stored before
 * a restart are found again by the relay's opening sweep (WorkspaceStore.sweep()).
 */
export class BlobLedger {
  readonly #byPrefix = new Map<string, PrefixLedger>();

  constructor(readonly graceMs: number) {}

  /**
   * Books room for one upload of at most `bytes`, or refuses it when the blobs waiting for a
   * manifest would hold more than `quotaBytes`. Answers the release to call when it ends.
   */
  reserve(prefix: string, hash: string, bytes: number, quotaBytes: number): () => void {
    const ledger = this.#ledger(prefix);
    const waiting = ledger.storedBytes + ledger.reservedBytes;
    if (waiting + bytes > quotaBytes) {
      throw new AppError(
        'QUOTA_EXCEEDED',
        `uploads not yet saved in a manifest would hold ${mb(waiting + bytes)} MB, over the workspace's ${mb(quotaBytes)} MB quota; save (commit) what was uploaded first`,
      );
    }
    if (ledger.stored.size + ledger.inFlight.size >= MAX_WAITING_BLOBS) {
      throw new AppError('QUOTA_EXCEEDED', `over ${MAX_WAITING_BLOBS} uploads are waiting for a manifest; save (commit) what was uploaded first`);
    }
    ledger.reservedBytes += bytes;
    ledger.inFlight.add(hash);
    return releaseOnce(() => {
      ledger.reservedBytes -= bytes;
      ledger.inFlight.remove(hash);
      this.#prune(prefix, ledger);
    });
  }

  /** Records a stored blob that no manifest names yet (an upload, or one a sweep found young). */
  stored(prefix: string, hash: string, size: number, at = Date.now()): void {
    const ledger = this.#ledger(prefix);
    const previous = ledger.stored.get(hash);
    if (previous) ledger.storedBytes -= previous.size;
    ledger.stored.set(hash, { size, at: Math.max(at, previous?.at ?? 0) });
    ledger.storedBytes += size;
  }

  /** A manifest now names these: they stop counting as waiting. */
  referenced(prefix: string, hashes: Iterable<string>): void {
    const ledger = this.#byPrefix.get(prefix);
    if (!ledger) return;
    for (const hash of hashes) this.forget(prefix, hash);
  }

  /** The blob was removed (or is named by a manifest). */
  forget(prefix: string, hash: string): void {
    const ledger = this.#byPrefix.get(prefix);
    const entry = ledger?.stored.get(hash);
    if (!ledger || !entry) return;
    ledger.stored.delete(hash);
    ledger.storedBytes -= entry.size;
    this.#prune(prefix, ledger);
  }

  /**
   * Whether an unreferenced blob must stay for now: it is being uploaded, or was stored less
   * than the grace period ago (its manifest may be on its way). `storedAt` is the store's own
   * date, for blobs this process has not seen.
   */
  isProtected(prefix: string, hash: string, storedAt?: Date, graceMs = this.graceMs): boolean {
    const ledger = this.#byPrefix.get(prefix);
    if (ledger?.inFlight.has(hash)) return true;
    const at = Math.max(ledger?.stored.get(hash)?.at ?? 0, storedAt?.getTime() ?? 0);
    return Date.now() - at < graceMs;
  }

  /** Hashes waiting for a manifest (for the collector after a commit). */
  waiting(prefix: string): string[] {
    return [...(this.#byPrefix.get(prefix)?.stored.keys() ?? [])];
  }

  /** Bytes counted against the quota for blobs not named by a manifest (stored and in flight). */
  waitingBytes(prefix: string): number {
    const ledger = this.#byPrefix.get(prefix);
    return ledger ? ledger.storedBytes + ledger.reservedBytes : 0;
  }

  /** Drops everything about a prefix (the workspace was deleted). */
  clear(prefix: string): void {
    this.#byPrefix.delete(prefix);
  }

  #ledger(prefix: string): PrefixLedger {
    let ledger = this.#byPrefix.get(prefix);
    if (!ledger) this.#byPrefix.set(prefix, (ledger = { stored: new Map(), inFlight: new Tally(), storedBytes: 0, reservedBytes: 0 }));
    return ledger;
  }

  #prune(prefix: string, ledger: PrefixLedger): void {
    if (!ledger.stored.size && !ledger.inFlight.size && this.#byPrefix.get(prefix) === ledger) this.#byPrefix.delete(prefix);
  }
}

interface PrefixLedger {
  stored: Map<string, { size: number; at: number }>;
  inFlight: Tally<string>;
  storedBytes: number;
  reservedBytes: number;
}

/** Waiting blobs per workspace: bounds this ledger's memory (and a flood of tiny objects). */
const MAX_WAITING_BLOBS = 100_000;

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
