/** What the manager needs of a repl window (the Electron one lives in repl-window.ts). */
export interface ReplWindowHandle {
  focus(): void;
  /** Shows the preview beside the IDE; a port opens that port's preview. */
  showPreview(port?: number): void;
  close(): void;
}

export interface OpenOptions {
  port?: number;
}

/** Repl windows are one per repl and server: opening a repl again brings its window forward. */
export function replWindowKey(server: string, replId: string): string {
  return `${server} ${replId}`;
}

/**
 * Keeps the open repl windows: one per repl, found again by server and id, forgotten when
 * closed. Windows are made by the factory (Electron's BaseWindow in the app, a double in tests).
 */
export class WindowManager<W extends ReplWindowHandle = ReplWindowHandle> {
  readonly #windows = new Map<string, { server: string; replId: string; window: W }>();

  constructor(private readonly create: (server: string, replId: string, options: OpenOptions, closed: () => void) => W) {}

  open(server: string, replId: string, options: OpenOptions = {}): W {
    const key = replWindowKey(server, replId);
    const known = this.#windows.get(key);
    if (known) {
      known.window.focus();
      if (options.port) known.window.showPreview(options.port);
      return known.window;
    }
    const window = this.create(server, replId, options, () => {
      if (this.#windows.get(key)?.window === window) this.#windows.delete(key);
    });
    this.#windows.set(key, { server, replId, window });
    return window;
  }

  get(server: string, replId: string): W | undefined {
    return this.#windows.get(replWindowKey(server, replId))?.window;
  }

  /** The open windows, as server, repl and window. */
  all(): Array<{ server: string; replId: string; window: W }> {
    return [...this.#windows.values()];
  }

  /** Closes every window of a server (signed out, removed). */
  closeServer(server: string): void {
    for (const entry of this.all()) if (entry.server === server) entry.window.close();
  }
}
