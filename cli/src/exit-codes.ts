/**
 * What the codeyard command's exit status means, one table for the code, the README and
 * `codeyard --help`. Scripts branch on these, so a number keeps its meaning once released.
 * `repl exec` is the exception once its command ran: it exits with that command's own status.
 */
export const EXIT = {
  OK: 0,
  /** Anything not below: the server failed (5xx), an answer made no sense, a local file failed. */
  ERROR: 1,
  /** Bad arguments or options, or input the server refused as invalid (400, 413, 415). */
  USAGE: 2,
  /** Not signed in, or the token was refused or lacks a scope (401, 403); sign-in denied or expired. */
  AUTH: 3,
  /** No such repl, file or route (404). */
  NOT_FOUND: 4,
  /** The server is full or rate-limits: try again later (429, 503; Retry-After is printed). */
  BUSY: 5,
  /** The repl's state or a limit refuses it: not running, too many repls (409). */
  CONFLICT: 6,
  /** The server did not answer at all (refused, unknown host, timed out). */
  UNREACHABLE: 7,
  /** `repl exec`: the command ran past its time limit (as timeout(1) exits). */
  EXEC_TIMEOUT: 124,
  /** Interrupted with Ctrl-C (128 + SIGINT). `repl logs -f` ends with 0 instead: that is how it is stopped. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Each exit status with what it means, for help text and the README. */
export const EXIT_MEANINGS: ReadonlyArray<readonly [number, string]> = [
  [EXIT.OK, 'done'],
  [EXIT.ERROR, 'error (server error, unexpected answer, local file)'],
  [EXIT.USAGE, 'usage: bad arguments, or input the server refused as invalid (400, 413, 415)'],
  [EXIT.AUTH, 'not signed in, token refused or lacking a scope (401, 403), sign-in denied or expired'],
  [EXIT.NOT_FOUND, 'no such repl or file (404)'],
  [EXIT.BUSY, 'server full or rate limited: try again later (429, 503)'],
  [EXIT.CONFLICT, "the repl's state or a limit refuses it, e.g. not running (409)"],
  [EXIT.UNREACHABLE, 'the server did not answer'],
  [EXIT.EXEC_TIMEOUT, '`repl exec`: the command timed out (otherwise exec exits with the command\'s own status, 128+n for signal n)'],
  [EXIT.INTERRUPTED, 'interrupted (Ctrl-C)'],
];

/** A failure the command reports in one line and exits with. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** The server's error code, when the server said no (for --json output). */
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit status for an HTTP error answer. */
export function exitForStatus(status: number): number {
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.USAGE;
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  if (status === 429 || status === 503) return EXIT.BUSY;
  return EXIT.ERROR;
}

/** The exit status of `repl exec` for what its command did. */
export function exitForCommand(result: { exitCode: number | null; signal: string | null; timedOut: boolean }): number {
  if (result.timedOut) return EXIT.EXEC_TIMEOUT;
  if (result.exitCode !== null) return result.exitCode;
  return 128 + (signalNumber(result.signal) ?? 1);
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

function signalNumber(signal: string | null): number | undefined {
  return signal ? SIGNALS[signal] : undefined;
}
