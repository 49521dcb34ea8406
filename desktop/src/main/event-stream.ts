/** One server-sent event: its type (`message` when unnamed) and data. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Events longer than this are refused (the stream is the server's, but a broken proxy could send anything). */
const MAX_EVENT_BYTES = 1 << 20;

/**
 * The server-sent events format (HTML Living Standard §9.2.6), fed chunk by chunk: lines end in
 * LF, CRLF or CR; `event:` and `data:` fields; comments (`:`) and `retry:`/`id:` ignored; a
 * blank line dispatches. Pure, so its cases are table tests.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #size = 0;
  #pendingCr = false;

  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    // A CR that ended the last chunk, followed by LF here, was one line break.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = text.endsWith('\r');
    this.#buffer += text;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    if (this.#buffer.length > MAX_EVENT_BYTES) throw new Error('an event-stream line is over 1 MiB');
    for (const line of lines) {
      if (line === '') {
        if (this.#data.length) out.push({ event: this.#event || 'message', data: this.#data.join('\n') });
        this.#event = '';
        this.#data = [];
        this.#size = 0;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.#event = value;
      else if (field === 'data') {
        this.#size += value.length;
        if (this.#size > MAX_EVENT_BYTES) throw new Error('an event is over 1 MiB');
        this.#data.push(value);
      }
    }
    return out;
  }
}

/** Reads a streamed body as server-sent events until it ends or the signal aborts. */
export async function* readEvents(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield* parser.push(value);
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    cancel();
  }
}
