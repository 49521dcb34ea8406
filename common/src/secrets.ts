/**
 * A repl's secrets: environment variables its owner sets in the portal (Replit's Secrets,
 * Codespaces' secrets), kept out of the workspace so a fork, a class copy, an archive or a
 * collect never carries them. The rules live here once: the portal's API, the agent's route and
 * the CLI check names and values with these.
 */

/** A name as a shell takes it: a letter or underscore, then letters, digits, underscores. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const SECRET_NAME_MAX = 64;
/** One value's size in bytes (UTF-8). */
export const SECRET_VALUE_MAX_BYTES = 32 * 1024;
/** Secrets one repl may hold. */
export const SECRETS_MAX = 100;
/** All values of one repl together, in bytes: what one process's environment takes without trouble. */
export const SECRETS_TOTAL_MAX_BYTES = 256 * 1024;

/**
 * Names the sandbox sets itself or that would break it: a secret may not replace them. Names
 * starting with CODEYARD_ or VSCODE_ are the product's and code-server's own.
 */
export const RESERVED_SECRET_NAMES: ReadonlySet<string> = new Set(['PORT', 'HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'HOSTNAME', 'TERM', 'LANG', 'TMPDIR', 'SHLVL', '__proto__']);
const RESERVED_PREFIXES = ['CODEYARD_', 'VSCODE_'];

/** Why `name` cannot be a secret's name (undefined: it can). */
export function secretNameProblem(name: string): string | undefined {
  if (!SECRET_NAME_PATTERN.test(name)) return `"${name.slice(0, SECRET_NAME_MAX + 1)}" is not a variable name: use letters, digits and _, starting with a letter or _, at most ${SECRET_NAME_MAX} characters`;
  if (RESERVED_SECRET_NAMES.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p))) return `${name} is set by the repl itself and cannot be a secret (nor can names starting with ${RESERVED_PREFIXES.join(' or ')})`;
  return undefined;
}

/** Why `value` cannot be a secret's value (undefined: it can). */
export function secretValueProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'a secret value cannot contain a NUL character';
  if (utf8Bytes(value) > SECRET_VALUE_MAX_BYTES) return `a secret value may have at most ${SECRET_VALUE_MAX_BYTES / 1024} KiB`;
  return undefined;
}

/** Why this whole set cannot be one repl's (undefined: it can); each name and value is checked too. */
export function secretSetProblem(variables: Readonly<Record<string, string>>): string | undefined {
  const names = Object.keys(variables);
  if (names.length > SECRETS_MAX) return `a repl may have at most ${SECRETS_MAX} secrets`;
  let total = 0;
  for (const name of names) {
    const problem = secretNameProblem(name) ?? secretValueProblem(variables[name]!);
    if (problem) return problem;
    total += utf8Bytes(variables[name]!);
  }
  if (total > SECRETS_TOTAL_MAX_BYTES) return `a repl's secrets may have at most ${SECRETS_TOTAL_MAX_BYTES / 1024} KiB together`;
  return undefined;
}

/** Bytes of `text` as UTF-8 (TextEncoder: the web UI checks with these rules too). */
function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
