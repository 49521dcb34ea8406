import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';

/** What each stack's starter app shows, proving it is that stack. */
const PROOF: Record<string, RegExp> = {
  node: /<h1>Hello from Node\.js v\d+\.\d+/,
  python: /<h1>Hello from Python 3\.\d+/,
  go: /<h1>Hello from Go go1\.\d+/,
  rust: /<h1>Hello from Rust<\/h1><p>Built by cargo/,
  static: /<h1>Hello from static HTML<\/h1>/,
  // The dev server's page; the browser check below renders it.
  react: /<title>Hello from React<\/title>/,
};

/**
 * `pip install` works as people expect (issue #17): Run made the repl's virtual environment, and
 * `python3`/`pip` on the PATH are its own, so an install goes there instead of failing with PEP
 * 668's "externally-managed-environment". The package is a wheel made in the test: tests never reach PyPI.
 */
async function pipInstallsIntoTheVenv(t: TestPortal, token: string, id: string): Promise<void> {
  const exec = async (command: string): Promise<string> => {
    const res = (await t.api(token, 'POST', `/api/repls/${id}/exec`, { command })).json<{ exitCode: number | null; stdout: string; stderr: string }>();
    assert.equal(res.exitCode, 0, `${command}:\n${res.stdout}\n${res.stderr}`);
    return res.stdout;
  };
  assert.match(await exec('for c in python3 pip; do command -v $c; done'), /^\/home\/user\/workspace\/\.venv\/bin\/python3\n\/home\/user\/workspace\/\.venv\/bin\/pip\n$/);
  // A wheel made by hand (a zip with the package and its metadata), as pip would download one.
  const makeWheel = [
    'import zipfile',
    "files = {'hello_pkg/__init__.py': 'GREETING = \"hi from a pip install\"\\n',",
    "  'hello_pkg-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: hello-pkg\\nVersion: 1.0\\n',",
    "  'hello_pkg-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: codeyard-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}",
    "files['hello_pkg-1.0.dist-info/RECORD'] = ''.join(name + ',,\\n' for name in [*files, 'hello_pkg-1.0.dist-info/RECORD'])",
    "with zipfile.ZipFile('hello_pkg-1.0-py3-none-any.whl', 'w') as z: [z.writestr(n, c) for n, c in files.items()]",
  ].join('\n');
  await exec(`python3 - <<'PY'\n${makeWheel}\nPY`);
  await exec('pip install --no-index --disable-pip-version-check ./hello_pkg-1.0-py3-none-any.whl');
  assert.equal(await exec('cd /tmp && python3 -c "import hello_pkg; print(hello_pkg.GREETING)"'), 'hi from a pip install\n');
}

/**
 * Every stack from a new repl to its running app, with the real runtime. A stack whose
 * toolchain is missing here must say so and refuse to create, never half-work.
 */
describe('every stack runs its starter app', { timeout: 900_000 }, () => {
  let t: TestPortal;
  let token: string;
  let stacks: Array<{ id: string; available: boolean; reason?: string }>;
  let browser: Browser | undefined;

  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
    stacks = (await t.api(token, 'GET', '/api/stacks')).json();
    if (!browserUnavailable()) browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const stack of Object.keys(PROOF)) {
    it(stack, async (ctx) => {
      const info = stacks.find((s) => s.id === stack);
      assert.ok(info, `stack ${stack} is listed`);
      if (!info.available) {
        const refused = await t.api(token, 'POST', '/api/repls', { stack });
        assert.equal(refused.status, 409);
        assert.equal(refused.json().error.code, 'STACK_UNAVAILABLE');
        assert.match(refused.json().error.message, /not available here: .*(Install|install)/);
        ctx.diagnostic(`${stack} is unavailable here: ${info.reason}`);
        return;
      }
      const repl = (await t.api(token, 'POST', '/api/repls', { stack })).json();
      const run = await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`);
      assert.equal(run.status, 200, run.body);
      const host = `${repl.id}-3000.localhost:${t.port}`;
      const page = await eventually(
        async () => {
          const res = await request(t.port, { host, path: '/' });
          if (res.status === 200) return res;
          const app = (await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json();
          if (!app.running) {
            const log = fs.readFileSync(path.join(replDirs(path.join(t.dataDir, 'repls'), repl.id).state, 'app.log'), 'utf8');
            throw new Error(`the app exited (${app.exitCode}):\n${log.slice(-2000)}`);
          }
          return undefined;
        },
        `${stack} app to answer`,
        240_000,
      );
      assert.match(page.body, PROOF[stack]!);
      if (stack === 'react' && browser) {
        const tab = await browser.newPage();
        await tab.goto(`http://${host}/`);
        const heading = await tab.locator('h1').textContent({ timeout: 30_000 });
        assert.match(heading ?? '', /^Hello from React 19\./);
        await tab.close();
      }
      if (stack === 'python') await pipInstallsIntoTheVenv(t, token, repl.id);
      assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).json().status, 'stopped');
    });
  }
});
