import type { ClassSummary, StudentRow } from './types.js';

export interface ClassFeedEvents {
  student: CustomEvent<StudentRow>;
  class: CustomEvent<ClassSummary>;
  /** The stream (re)connected: what changed while it was down is not replayed; read the class again. */
  resync: CustomEvent<undefined>;
  /** The stream is down for good (the class is gone, or this account may not teach it). */
  closed: CustomEvent<undefined>;
  /** The class was deleted (here, in another tab, or by an admin): nothing more will come. */
  deleted: CustomEvent<undefined>;
}

/**
 * One class as it changes, for its teacher's dashboard: `GET /api/classes/:id/events`
 * (server-sent events: `student` carries a StudentRow whenever a row changes: repl status,
 * join, submit, a grade result; `class` the ClassSummary). EventSource reconnects by itself after
 * network errors; each (re)connection asks the page to read the whole class again.
 */
export class ClassFeed extends EventTarget {
  #source: EventSource | undefined;

  constructor(readonly classId: string) {
    super();
  }

  on<K extends keyof ClassFeedEvents>(type: K, listener: (event: ClassFeedEvents[K]) => void): () => void {
    const handler = listener as unknown as EventListener;
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  #emit<K extends keyof ClassFeedEvents>(type: K, detail: ClassFeedEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  get live(): boolean {
    return this.#source?.readyState === EventSource.OPEN;
  }

  start(): void {
    if (this.#source) return;
    const source = new EventSource(`/api/classes/${encodeURIComponent(this.classId)}/events`);
    this.#source = source;
    source.addEventListener('open', () => this.#emit('resync', undefined));
    source.addEventListener('student', (event) => this.#emit('student', JSON.parse((event as MessageEvent<string>).data) as StudentRow));
    source.addEventListener('class', (event) => this.#emit('class', JSON.parse((event as MessageEvent<string>).data) as ClassSummary));
    source.addEventListener('deleted', () => {
      // Before EventSource would reconnect to a class that is no more.
      this.close();
      this.#emit('deleted', undefined);
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) return;
      this.close();
      this.#emit('closed', undefined);
    });
  }

  close(): void {
    this.#source?.close();
    this.#source = undefined;
  }
}
