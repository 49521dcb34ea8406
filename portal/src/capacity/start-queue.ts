import type { ReplId } from '@codeyard/common/repl-id';

/** A start waiting for room. */
export interface QueuedStart {
  replId: ReplId;
  owner: string;
  /** When it joined the line (ISO 8601). */
  since: string;
  /** What to do once admitted: the repl's start (and its app's, when that was asked). */
  run(): Promise<void>;
}

/**
 * The line of starts waiting for room: first come, first started. A repl is in it once (asking
 * again keeps its place), and leaves it when it is started, stopped or deleted by its owner.
 * It lives in this portal's memory: a portal restart empties it, and waiting pages and clients
 * ask again (the page on its next poll, an API client after Retry-After).
 */
export class StartQueue {
  readonly #entries: QueuedStart[] = [];

  get length(): number {
    return this.#entries.length;
  }

  /** Adds a start at the end (or keeps the place it has); answers its place, 1 first. */
  add(entry: Omit<QueuedStart, 'since'>): number {
    const at = this.position(entry.replId);
    if (at) return at;
    this.#entries.push({ ...entry, since: new Date().toISOString() });
    return this.#entries.length;
  }

  /** The place of a repl in line (1 first), or undefined when it is not waiting. */
  position(replId: ReplId): number | undefined {
    const index = this.#entries.findIndex((e) => e.replId === replId);
    return index < 0 ? undefined : index + 1;
  }

  head(): QueuedStart | undefined {
    return this.#entries[0];
  }

  /** Takes a repl out of the line; true when it was in it. */
  remove(replId: ReplId): boolean {
    const index = this.#entries.findIndex((e) => e.replId === replId);
    if (index < 0) return false;
    this.#entries.splice(index, 1);
    return true;
  }

  /** The line in order. */
  list(): readonly QueuedStart[] {
    return [...this.#entries];
  }
}
