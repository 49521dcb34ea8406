import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { openInBrowser } from './browser.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './program.js';

/**
 * The `codeyard` command (bin/codeyard.js calls this): the real process's streams, network and
 * browser. The first Ctrl-C asks the running command to stop (a followed log ends with 0);
 * a second one exits at once.
 */
export async function main(argv: string[]): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(EXIT.INTERRUPTED);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  // A closed pipe (`codeyard repl logs -f | head`) is the reader being done, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  try {
    return await runCli(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      fetch,
      openUrl: (url) => openInBrowser(url),
      sleep: (ms, signal) => sleep(ms, undefined, { signal }),
      hostname: os.hostname(),
      platform: process.platform,
      interrupt: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}
