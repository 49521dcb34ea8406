// Where Electron's binary is, found without triggering its download: `require('electron')`
// downloads it on first use (electron 45 no longer does at install), which cannot work on a
// machine that does not reach Electron's release host, and would hang or fail deep inside.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** `{ path }` when the binary is installed, else `{ missing }` saying why and what to do. */
export function electronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (run npm ci)' };
  }
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const override = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return fs.existsSync(override) ? { path: override } : { missing: `ELECTRON_OVERRIDE_DIST_PATH has no Electron binary (${override})` };
  }
  const pathFile = path.join(dir, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : undefined;
  const binary = relative && path.join(dir, 'dist', relative);
  if (binary && fs.existsSync(binary)) return { path: binary };
  return {
    missing:
      "Electron's binary is not installed: the electron package downloads it from Electron's release host on first use, " +
      'and this machine cannot reach it. Where it can, run `npx install-electron` (or set ELECTRON_MIRROR to a mirror you reach, ' +
      'or ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45)',
  };
}
