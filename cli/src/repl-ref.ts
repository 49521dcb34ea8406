import type { Repl } from '@codeyard/common/api/models';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * The repl a command names: its id, or its name when exactly one of the account's repls has it
 * (names are not unique: two of the same name make the user give the id).
 */
export async function resolveRepl(client: ApiClient, ref: string): Promise<Repl> {
  if (REPL_ID_PATTERN.test(ref)) {
    try {
      return await client.json<Repl>('GET', `/api/repls/${ref}`);
    } catch (err) {
      if (!(err instanceof CliError && err.exitCode === EXIT.NOT_FOUND)) throw err;
      // An id-shaped name is still a name.
    }
  }
  const repls = await client.json<Repl[]>('GET', '/api/repls');
  const named = repls.filter((r) => r.name === ref);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new CliError(EXIT.USAGE, `${named.length} repls are named ${JSON.stringify(ref)} (${named.map((r) => r.id).join(', ')}): give the id`);
  throw new CliError(EXIT.NOT_FOUND, `no repl ${JSON.stringify(ref)} in your account on ${client.server} (\`codeyard repl ls\` lists them)`, 'NOT_FOUND');
}

/** `repl:path` (scp's syntax): the side of `cp` that is in a repl; undefined for a local path. */
export function parseRemote(arg: string): { repl: string; path: string } | undefined {
  const colon = arg.indexOf(':');
  // A colon after a slash is part of a local path (`./a:b`, `/tmp/x:y`).
  if (colon <= 0 || arg.slice(0, colon).includes('/')) return undefined;
  return { repl: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/**
 * A workspace path as it goes in the files API: each segment percent-encoded, slashes kept.
 * A `.` or `..` segment is refused here: URL parsing resolves it before sending, in any
 * encoding (`%2E%2E` too), so `repl:../x` would reach another route (/api/repls/<id>/x).
 */
export function filesUrl(replId: string, path: string): string {
  const segments = path.split('/');
  if (segments.some((s) => s === '.' || s === '..')) throw new CliError(EXIT.USAGE, `${path}: a path in a repl is relative to its workspace, without . or .. segments`);
  return `/api/repls/${replId}/files/${segments.map(encodeURIComponent).join('/')}`;
}

/** Words as one shell command line: single words as they are, others single-quoted. */
export function shellJoin(words: readonly string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
