import http from 'node:http';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';

/**
 * code-server loads VS Code's server (its 1.6 MB `server-main.js`, then the server itself) on
 * the first request to a VS Code route, and the IDE page waits for it: 0.35 s on an idle host,
 * 1-1.3 s in a repl's CPU quota on a busy one (the first visit's trace). Loading it at repl start
 * would cost every idle repl about 43 MB (PSS), so it is asked for when an IDE link is made: the
 * owner is about to open the IDE, which needs it anyway, and the browser's page request then
 * finds it loaded or loading.
 */

/** A path no VS Code route answers: code-server loads VS Code to answer it (404). */
const WARMUP_PATH = '/_codeyard/warmup';
/** The load is seconds at most; an IDE that does not answer by then is not waited for. */
const TIMEOUT_MS = 30_000;

/** Fire and forget: resolves when code-server answered or gave up (tests), never rejects. */
export function warmIde(target: Target | undefined): Promise<number | undefined> {
  if (!target) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = http.request({ method: 'GET', path: WARMUP_PATH, headers: { host: 'localhost', connection: 'close' }, createConnection: () => connectTarget(target), timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
