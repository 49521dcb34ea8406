import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { LogFrame } from '@codeyard/common/agent/protocol';

/**
 * The app's output: kept in a bounded ring (for "show me what happened" and for new log
 * viewers) and appended to a file (for after the agent restarts). Subscribers get every frame.
 */
export class LogBuffer extends EventEmitter<{ frame: [LogFrame] }> {
  readonly #frames: LogFrame[] = [];
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #file?: string;
  readonly #maxFileBytes: number;
  #stream?: fs.WriteStream;
  #fileBytes = 0;

  constructor(options: { maxBytes?: number; file?: string; maxFileBytes?: number } = {}) {
    super();
    this.#maxBytes = options.maxBytes ?? 512 * 1024;
    this.#file = options.file;
    this.#maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
    if (this.#file) {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true });
      this.#fileBytes = fs.statSync(this.#file, { throwIfNoEntry: false })?.size ?? 0;
    }
  }

  push(frame: LogFrame): void {
    const size = frame.type === 'output' ? Buffer.byteLength(frame.data) : 64;
    this.#frames.push(frame);
    this.#bytes += size;
    while (this.#bytes > this.#maxBytes && this.#frames.length > 1) {
      const dropped = this.#frames.shift()!;
      this.#bytes -= dropped.type === 'output' ? Buffer.byteLength(dropped.data) : 64;
    }
    if (this.#file && frame.type === 'output') this.#append(frame.data);
    this.emit('frame', frame);
  }

  output(stream: 'stdout' | 'stderr' | 'system', data: string): void {
    this.push({ type: 'output', stream, data, at: new Date().toISOString() });
  }

  /** Everything still in the ring, oldest first. */
  snapshot(): LogFrame[] {
    return [...this.#frames];
  }

  /** The ring's output as plain text. */
  text(): string {
    return this.#frames.map((f) => (f.type === 'output' ? f.data : '')).join('');
  }

  #append(data: string): void {
    // One previous file is kept, so a runaway app cannot fill the disk with its log.
    if (this.#fileBytes > this.#maxFileBytes) {
      this.#stream?.end();
      this.#stream = undefined;
      try {
        fs.renameSync(this.#file!, `${this.#file}.1`);
      } catch {
        // nothing to rotate
      }
      this.#fileBytes = 0;
    }
    if (!this.#stream) {
      this.#stream = fs.createWriteStream(this.#file!, { flags: 'a' });
      // A log that cannot be written must not take the app down with it.
      this.#stream.on('error', () => undefined);
    }
    this.#stream.write(data);
    this.#fileBytes += Buffer.byteLength(data);
  }

  close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    return new Promise((resolve) => (stream ? stream.end(resolve) : resolve()));
  }
}
