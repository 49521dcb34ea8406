import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS } from '../runtime/process/code-server-settings.js';
import { codeServerBuiltinDir, OMITTED_BUILTINS, prepareBuiltinExtensions } from '../runtime/process/ide-extensions.js';

/**
 * Runs inside the base image's build (bundled by `npm run images` into prepare-ide.cjs):
 * `node prepare-ide.cjs <codeyard.vsix> <code-server install> <out folder>`. Makes what the
 * process runtime makes for its sandboxes, with the same code: the built-in extensions folder
 * (code-server's built-ins linked, the Codeyard extension unpacked) at <out>/ide-extensions/builtin,
 * and Codeyard's default VS Code settings at <out>/vscode-settings.json (the ones the process
 * runtime hands its agents, for a runtime or a person starting the image without the portal).
 */
async function main(): Promise<void> {
  const [vsix, codeServerDir, out] = process.argv.slice(2);
  if (!vsix || !codeServerDir || !out) throw new Error('usage: prepare-ide <codeyard.vsix> <code-server install> <out folder>');
  const builtins = codeServerBuiltinDir(codeServerDir);
  if (!builtins) throw new Error(`no code-server built-in extensions under ${codeServerDir}`);
  const parentDir = path.join(out, 'ide-extensions');
  const made = await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir });
  // A fixed name: the image is built once, and its runtime names the folder without a lookup.
  fs.renameSync(made, path.join(parentDir, 'builtin'));
  // What no repl loads need not be in the image either (the AI runtime alone is 41 MB).
  for (const name of OMITTED_BUILTINS) fs.rmSync(path.join(builtins, name), { recursive: true, force: true });
  const settings = `${JSON.stringify(DEFAULT_SETTINGS, null, 2)}\n`;
  fs.writeFileSync(path.join(out, 'vscode-settings.json'), settings, { mode: 0o644 });
  process.stdout.write(`prepare-ide: ${fs.readdirSync(path.join(parentDir, 'builtin')).length} built-in extensions, ${Object.keys(DEFAULT_SETTINGS).length} settings\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`prepare-ide: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
