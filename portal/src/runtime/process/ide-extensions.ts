import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { checkRelativePath } from '@codeyard/common/paths';
import type { StackLanguage } from '../../templates/manifest.js';

/**
 * The Codeyard VS Code extension (vscode-extension/dist/codeyard.vsix) in every repl, at no
 * cost per start: unpacked once into a shared read-only folder that code-server is given as its
 * built-in extensions folder (`--builtin-extensions-dir`). That folder holds code-server's own
 * built-in extensions too, as symbolic links to its install (bound read-only into each sandbox
 * at the same path), so nothing of VS Code is lost. A built-in extension cannot be uninstalled
 * from the IDE, and nothing of it is in the repl's home for the user to break.
 *
 * The folder is named after a hash of the VSIX and of code-server's built-in list: a new build
 * or a code-server upgrade gets a new folder, and repls still running keep theirs (earlier
 * folders are left in place, under 1 MB each: a running repl's sandbox may be restarted with them).
 */

/**
 * Built-ins a repl has no use for, left out of its built-in folder (so never loaded): the AI
 * runtime (AI features are off in every repl), Microsoft account sign-in, Remote Tunnels (a repl
 * is already remote), GitHub sign-in and its GitHub features (they activate at every start
 * (`*`) and wait for a sign-in that cannot finish in a repl: VS Code's GitHub sign-in goes through
 * vscode.dev), and the linting of VS Code extensions' own manifests (it activates on any JSON
 * file). Fewer extensions also make the extension host start sooner.
 */
export const OMITTED_BUILTINS = new Set(['copilot', 'microsoft-authentication', 'tunnel-forwarding', 'github', 'github-authentication', 'extension-editing']);

/**
 * Built-ins that bring language tooling (a language server, a debugger, an eager activation on
 * every file), with the stack languages that want them. A stack whose manifest names its
 * `languages` gets only the tooling of those; the rest of this table is left out of its folder, so
 * a Python repl never starts a TypeScript server, and no repl but a web one activates Emmet (it
 * activates on every file opened). Grammars, themes and lazily started JSON/Markdown support stay
 * in every repl.
 */
export const LANGUAGE_BUILTINS: Readonly<Record<string, readonly StackLanguage[]>> = Object.freeze({
  'typescript-language-features': ['javascript'],
  'ms-vscode.js-debug': ['javascript'],
  'ms-vscode.js-debug-companion': ['javascript'],
  'ms-vscode.vscode-js-profile-table': ['javascript'],
  'debug-auto-launch': ['javascript'],
  npm: ['javascript'],
  grunt: ['javascript'],
  gulp: ['javascript'],
  jake: ['javascript'],
  emmet: ['html', 'css'],
  'html-language-features': ['html'],
  'css-language-features': ['css'],
  'php-language-features': ['php'],
});

/** Is code-server's built-in `name` left out of the folder for a stack with these `languages` (undefined: every language)? */
export function omitsBuiltin(name: string, languages: readonly StackLanguage[] | undefined): boolean {
  if (OMITTED_BUILTINS.has(name)) return true;
  const wantedBy = LANGUAGE_BUILTINS[name];
  return !!wantedBy && !!languages && !wantedBy.some((language) => languages.includes(language));
}

/** The folder of code-server's own built-in extensions, for a code-server install folder. */
export function codeServerBuiltinDir(installDir: string): string | undefined {
  for (const candidate of [path.join(installDir, 'node_modules', 'code-server', 'lib', 'vscode', 'extensions'), path.join(installDir, 'lib', 'vscode', 'extensions')]) {
    if (fs.existsSync(path.join(candidate, 'git', 'package.json')) || fs.existsSync(path.join(candidate, 'theme-defaults', 'package.json'))) return candidate;
  }
  return undefined;
}

/**
 * Makes (once) the built-in extensions folder for a stack's `languages` (see LANGUAGE_BUILTINS;
 * undefined: all): code-server's built-ins linked, the VSIX's `extension/` unpacked as
 * `codeyard`. Answers its path. Safe to call from concurrent portals.
 */
export async function prepareBuiltinExtensions(options: { vsix: string; codeServerBuiltins: string; parentDir: string; languages?: readonly StackLanguage[] }): Promise<string> {
  const vsix = await fsp.readFile(options.vsix);
  const builtins = (await fsp.readdir(options.codeServerBuiltins)).filter((name) => name !== 'codeyard' && !omitsBuiltin(name, options.languages)).sort();
  const hash = createHash('sha256').update(vsix).update('\0').update(options.codeServerBuiltins).update('\0').update(builtins.join('\n')).digest('hex').slice(0, 16);
  const dir = path.join(options.parentDir, hash);
  if (fs.existsSync(path.join(dir, 'codeyard', 'package.json'))) return dir;

  await fsp.mkdir(options.parentDir, { recursive: true, mode: 0o755 });
  await fsp.chmod(options.parentDir, 0o755);
  const partial = await fsp.mkdtemp(path.join(options.parentDir, `.${hash}-`));
  try {
    await fsp.chmod(partial, 0o755);
    for (const name of builtins) await fsp.symlink(path.join(options.codeServerBuiltins, name), path.join(partial, name));
    await unpackExtension(vsix, path.join(partial, 'codeyard'));
    try {
      await fsp.rename(partial, dir);
    } catch (err) {
      // Another portal made it first: theirs is the same.
      if (!fs.existsSync(path.join(dir, 'codeyard', 'package.json'))) throw err;
    }
  } finally {
    await fsp.rm(partial, { recursive: true, force: true });
  }
  return dir;
}

/** Writes the VSIX's `extension/…` entries under `target` (read-only for everyone but the owner). */
async function unpackExtension(vsix: Buffer, target: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(vsix, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z!))));
  let found = false;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (!name.startsWith('extension/') || name.endsWith('/')) return zip.readEntry();
      let relative: string;
      try {
        relative = checkRelativePath(name.slice('extension/'.length), name);
      } catch (err) {
        return reject(err);
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const file = path.join(target, relative);
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
        // A corrupt entry fails here, as a rejection: never an error event nobody listens to.
        pipeline(stream!, fs.createWriteStream(file, { mode: 0o644 })).then(() => {
          if (relative === 'package.json') found = true;
          zip.readEntry();
        }, reject);
      });
    });
    zip.readEntry();
  });
  if (!found) throw new Error('the VSIX has no extension/package.json');
}
