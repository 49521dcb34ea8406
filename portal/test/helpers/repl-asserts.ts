import assert from 'node:assert/strict';
import { isAppError } from '@codeyard/common/errors';
import type { ReplEvent } from '../../src/repls/repl-record.js';
import type { ReplService } from '../../src/repls/repl-service.js';

/** Asserts that `work` is refused with `code`, its message matching `message` when given. */
export async function refused(work: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(isAppError(err), `an AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** The first event `watch` delivers to `owner` that `match` accepts; rejects after 2 s without one. */
export function nextEvent(service: ReplService, owner: string, match: (event: ReplEvent) => boolean): Promise<ReplEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no matching event for ${owner} within 2 s`))), 2000);
    const off = service.watch(owner, (event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}
