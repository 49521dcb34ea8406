import { AgentClient } from '@codeyard/common/agent/client';
import { describeError } from '@codeyard/common/errors';
import type { Runtime } from '../runtime/runtime.js';

/** How long "<teacher> is viewing this repl" shows after the teacher opened it. */
const VIEWING_SECONDS = 30 * 60;

/**
 * Tells a student's VS Code that their teacher opened it (portal → agent → the Codeyard
 * extension's status bar). A repl that is not running yet (the teacher's visit wakes it) gets the
 * notice as soon as the runtime reports it running; what waits is kept only until it would have
 * expired, and only on this portal.
 */
export class StudentNotices {
  readonly #waiting = new Map<string, { text: string; until: number }>();
  readonly #unwatch: () => void;

  constructor(private readonly o: { runtime: Runtime; log: { error(obj: object, msg: string): void } }) {
    this.#unwatch = o.runtime.watch((id, status) => {
      if (status.state === 'running' && this.#waiting.has(id)) void this.#send(id);
    });
  }

  async viewing(replId: string, teacher: { id: string; name?: string | null; email?: string | null }): Promise<void> {
    const who = teacher.name || teacher.email || 'Your teacher';
    this.#waiting.set(replId, { text: `${who} is viewing this repl`, until: Date.now() + VIEWING_SECONDS * 1000 });
    if (this.o.runtime.endpoints(replId)) await this.#send(replId);
  }

  async #send(replId: string): Promise<void> {
    const notice = this.#waiting.get(replId);
    const endpoints = this.o.runtime.endpoints(replId);
    if (!notice || !endpoints) return;
    this.#waiting.delete(replId);
    const seconds = Math.floor((notice.until - Date.now()) / 1000);
    if (seconds < 1) return;
    try {
      await new AgentClient(endpoints.agent).setNotice({ text: notice.text, seconds });
    } catch (err) {
      // The teacher still gets in: the audit log has the visit either way.
      this.o.log.error({ replId, err: describeError(err) }, "could not show the student the teacher's visit");
    }
  }

  close(): void {
    this.#unwatch();
    this.#waiting.clear();
  }
}
