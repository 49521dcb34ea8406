// `npm run desktop:smoke`: the real app under Xvfb, driving one repl end to end against a real
// portal: add the server, sign in (as a guest: the portal runs in anonymous mode), create a
// Node.js repl, which opens its window; press Run in the toolbar; the preview beside VS Code
// answers. Where Electron's binary is not installed (no route to its release host, as on the
// machines Codeyard is built on) it says so and exits 0: there is nothing it could run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const desktop = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(desktop, '..');
const binary = electronBinary();
if (binary.missing) {
  console.log(`desktop:smoke SKIPPED, nothing was run: ${binary.missing}.`);
  console.log('What runs here instead: the main-process tests (npm test -w @codeyard/desktop) and the home window in Chromium against a real portal (desktop/test/home-window.integration.test.ts).');
  process.exit(0);
}

const which = (name) => process.env.PATH.split(path.delimiter).map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
let xvfb;
let display = process.env.DISPLAY;
if (!display) {
  const bin = which('Xvfb');
  if (!bin) {
    console.error('desktop:smoke: Electron is installed but there is no display and no Xvfb: apt-get install xvfb');
    process.exit(1);
  }
  display = ':87';
  xvfb = spawn(bin, [display, '-screen', '0', '1440x900x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
}

const { _electron } = await import('playwright-core');
const { startTestPortal } = await import(path.join(root, 'portal/dist/test/helpers/test-portal.js'));
const shots = path.join(root, 'test-results', 'desktop-smoke');
fs.mkdirSync(shots, { recursive: true });
const step = (what) => console.log(`[smoke] ${what}`);
const t = await startTestPortal({ env: { CODEYARD_AUTH: 'anonymous' } });
const server = `http://localhost:${t.port}`;
let app;
let failed = false;
try {
  step(`portal on ${server}; starting ${binary.path}`);
  app = await _electron.launch({
    executablePath: binary.path,
    args: [desktop, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    env: { ...process.env, DISPLAY: display, CODEYARD_DESKTOP_USER_DATA: fs.mkdtempSync(path.join(os.tmpdir(), 'cy-smoke-')) },
    timeout: 60_000,
  });
  const home = await app.firstWindow();
  await home.getByRole('button', { name: 'Add server' }).click();
  await home.getByLabel('Server address').fill(server);
  await home.getByRole('button', { name: 'Add', exact: true }).click();
  step('server added; signing in as a guest');
  await home.getByRole('button', { name: 'Sign in with the browser' }).click();
  const guest = home.getByRole('button', { name: 'Continue as a guest' });
  await guest.waitFor({ timeout: 20_000 }).then(() => guest.click(), () => home.evaluate((s) => window.codeyard.signInAsGuest(s), server));
  await home.getByRole('button', { name: /Node\.js/ }).click({ timeout: 30_000 });
  step('creating a Node.js repl; waiting for its window');
  const toolbar = await waitForPage(app, (p) => p.url().startsWith('codeyard-app://app/toolbar'), 180_000);
  await toolbar.getByRole('button', { name: /^Run the app/ }).click({ timeout: 60_000 });
  step('Run pressed; waiting for the preview');
  const preview = await waitForPage(app, (p) => /-3000\./.test(p.url()), 60_000);
  await preview.locator('h1', { hasText: 'Hello from Node.js' }).waitFor({ timeout: 60_000 });
  await toolbar.getByRole('button', { name: /^Stop the app/ }).waitFor({ timeout: 10_000 });
  await preview.screenshot({ path: path.join(shots, 'preview.png') });
  step('the preview answered beside VS Code: smoke passed');
} catch (err) {
  failed = true;
  console.error(`[smoke] FAILED: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await app?.close().catch(() => undefined);
  await t.close();
  xvfb?.kill();
}
process.exit(failed ? 1 : 0);

async function waitForPage(electronApp, test, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = electronApp.windows().find(test);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no window matched within ${timeoutMs} ms; open: ${electronApp.windows().map((w) => w.url()).join(', ')}`);
}
