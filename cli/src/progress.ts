/**
 * One line of progress on stderr, rewritten in place (`\r` and erase-to-end), for long
 * operations: a start, a download, an upload. Silent unless stderr is a terminal and the output
 * is for people (not --json), so scripts and logs never see carriage returns.
 */
export class Progress {
  #last = 0;
  #shown = false;
  #pending?: string;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    readonly enabled: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows `text` now, or within a tenth of a second (updates in between are merged). */
  update(text: string): void {
    if (!this.enabled) return;
    this.#pending = text;
    if (this.now() - this.#last < 100) return;
    this.#flush();
  }

  #flush(): void {
    if (this.#pending === undefined) return;
    // A terminal of unknown size (a pty nobody sized) says 0 columns.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const text = [...this.#pending].slice(0, width).join('');
    this.stream.write(`\r${text}\u001b[K`);
    this.#pending = undefined;
    this.#shown = true;
    this.#last = this.now();
  }

  /** Clears the line (so what follows starts clean). */
  done(): void {
    if (!this.enabled || !this.#shown) return;
    this.stream.write('\r\u001b[K');
    this.#shown = false;
  }
}
