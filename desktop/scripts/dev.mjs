// `npm run desktop`: starts the app from the built workspace (npm run build ran first), with
// Electron's binary if it is installed. Says plainly what is missing otherwise.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const desktop = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = electronBinary();
if (binary.missing) {
  console.error(`npm run desktop: cannot start. ${binary.missing}.`);
  process.exit(1);
}
// As root, Chromium refuses to start with its sandbox on; a development run as root turns it off
// for the whole app (renderers too): never do this for real use.
const args = [desktop, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ...process.argv.slice(2)];
const child = spawn(binary.path, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
