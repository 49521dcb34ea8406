import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Merges Codeyard's default VS Code settings under the user's own (theirs win). Done by the
 * agent, inside the sandbox and as the repl's user: the settings file lives in the repl's home,
 * which the repl controls, so the portal (root) never writes there; a symlink planted in its place
 * leads nowhere outside the sandbox.
 */
export async function mergeUserSettings(file: string, defaults: Record<string, unknown>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Settings are a file of the user's; a link or anything else in its place is replaced.
  const stat = await fs.lstat(file).catch(() => undefined);
  if (stat && !stat.isFile()) await fs.rm(file, { recursive: true, force: true });
  let existing: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) existing = parsed as Record<string, unknown>;
  } catch {
    // first start, or a file the user broke: start from the defaults
  }
  await fs.writeFile(file, JSON.stringify({ ...defaults, ...existing }, null, 2));
}
