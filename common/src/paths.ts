import { AppError } from './errors.js';

/** Longest path or key we accept: S3's key limit is 1024 bytes; leave room for prefixes. */
export const MAX_PATH_BYTES = 900;

/**
 * Checks a user-supplied relative path (a file in a workspace, or a key in the object store)
 * and returns it in canonical form: forward slashes, no empty, `.` or `..` segments.
 * Rejects rather than repairs: `a/../b` is an error, not `b`, so what a client asked for is
 * never silently turned into something else. The empty string is the root and is allowed
 * only when `allowRoot` is set.
 */
export function checkRelativePath(input: string, what = 'path', allowRoot = false): string {
  if (typeof input !== 'string') throw new AppError('INVALID_PATH', `${what} must be a string`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) {
    throw new AppError('INVALID_PATH', `${what} contains a NUL or control character`);
  }
  if (input.includes('\\')) throw new AppError('INVALID_PATH', `${what} must use forward slashes, not backslashes`);
  if (input.startsWith('/')) throw new AppError('INVALID_PATH', `${what} must be relative, not absolute: ${JSON.stringify(input)}`);
  const trimmed = input.endsWith('/') ? input.slice(0, -1) : input;
  if (trimmed === '') {
    if (allowRoot) return '';
    throw new AppError('INVALID_PATH', `${what} is empty`);
  }
  if (Buffer.byteLength(trimmed) > MAX_PATH_BYTES) {
    throw new AppError('INVALID_PATH', `${what} is longer than ${MAX_PATH_BYTES} bytes`);
  }
  for (const segment of trimmed.split('/')) {
    if (segment === '' ) throw new AppError('INVALID_PATH', `${what} has an empty segment: ${JSON.stringify(input)}`);
    if (segment === '.' || segment === '..') {
      throw new AppError('INVALID_PATH', `${what} may not contain "." or ".." segments: ${JSON.stringify(input)}`);
    }
  }
  return trimmed;
}
