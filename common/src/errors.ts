/**
 * One error type for the whole product. Every code maps to exactly one HTTP status, so the
 * portal, the proxy and the agent answer the same failure the same way.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION: 400,
  INVALID_JSON: 400,
  INVALID_PATH: 400,
  UNKNOWN_STACK: 400,
  INVALID_ARCHIVE: 400,
  /** A class roster (rows or CSV) with a bad line or field; the message names them. */
  INVALID_ROSTER: 400,
  UNSAFE_ARCHIVE: 400,
  /** Two session cookies of one name: another host under the domain set one (cookie tossing). */
  COOKIE_CONFLICT: 400,
  /** Device sign-in (RFC 8628's answers to a poll, as codes): not answered yet in the browser. */
  AUTHORIZATION_PENDING: 400,
  /** Device sign-in: polled faster than `interval`; wait longer (the interval grew by 5 s). */
  SLOW_DOWN: 400,
  /** Device sign-in: the user pressed Deny. */
  ACCESS_DENIED: 400,
  /** Device sign-in: the device code is unknown, expired or already used; start again. */
  EXPIRED_TOKEN: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  NOT_RUNNING: 409,
  STACK_UNAVAILABLE: 409,
  LIMIT_REACHED: 409,
  /** The change would leave the server without an admin who can sign in (demoting or disabling the last one). */
  LAST_ADMIN: 409,
  /** A class join link another account has already joined with. */
  LINK_TAKEN: 409,
  QUOTA_EXCEEDED: 413,
  PAYLOAD_TOO_LARGE: 413,
  ARCHIVE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MISDIRECTED: 421,
  STALE_VERSION: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM: 502,
  UNAVAILABLE: 503,
  /** No room on this machine for one more repl: it waits in line (details: position, retryAfterSeconds). */
  SERVER_FULL: 503,
  TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** A short human-readable form of any thrown value, for logs and error pages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
