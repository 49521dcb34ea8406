import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { eventually } from './helpers/http.js';
import { commandLine, environmentOf, replPids } from './helpers/repl-processes.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * What a repl's VS Code runs, checked on the real processes of a sandboxed repl with a real
 * browser page open on it: code-server's server as one process (no wrapper), a Python repl with
 * no TypeScript server nor its extension, a Node repl that still gets JavaScript IntelliSense
 * from one (run with Codeyard's memory tuning), and no JSON language server until a JSON file is
 * opened, which then gets validated.
 */
describe("a repl's VS Code processes", { timeout: 300_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let token: string;
  let browser: Browser;

  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A new repl of `stack`, started and opened in its own page, its main file showing and the Codeyard Run control there (the extension host is up). */
  async function openRepl(stack: string, main: string): Promise<{ id: string; page: Page }> {
    const repl = (await t.api(token, 'POST', '/api/repls', { stack })).json<{ id: string }>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto((await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`)).json<{ url: string }>().url);
    await vscodeIn(page).locator('.tabs-container .tab', { hasText: main }).waitFor({ timeout: 90_000 });
    await vscodeIn(page).locator('.statusbar-item', { hasText: '▶ Run' }).waitFor({ timeout: 90_000 });
    return { id: repl.id, page };
  }

  const processes = (id: string): Array<{ pid: number; cmd: string }> => replPids(t, id).map((pid) => ({ pid, cmd: commandLine(pid) }));

  it('runs a Python repl with no TypeScript server and no TypeScript extension, code-server as one process', async () => {
    const { id, page } = await openRepl('python', 'main.py');
    const all = processes(id);
    const servers = all.filter((p) => p.cmd.includes('code-server/out/node/entry.js'));
    assert.equal(servers.length, 1, `one code-server process, not a wrapper and its child:\n${all.map((p) => p.cmd).join('\n')}`);
    assert.match(servers[0]!.cmd, /code-server-launch\.cjs .*entry\.js/);
    // The extension host is up (the Codeyard extension showed Run); give it a moment more to start anything it would.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(processes(id).filter((p) => p.cmd.includes('tsserver.js')).length, 0, 'no TypeScript server');

    // Its built-in extensions folder, as code-server inside the sandbox sees it.
    const cmd = servers[0]!.cmd.split(' ');
    const builtins = path.join(`/proc/${servers[0]!.pid}/root`, cmd[cmd.indexOf('--builtin-extensions-dir') + 1]!);
    const names = fs.readdirSync(builtins);
    for (const kept of ['codeyard', 'python', 'git', 'json-language-features']) assert.ok(names.includes(kept), `${kept} is there`);
    for (const left of ['typescript-language-features', 'ms-vscode.js-debug', 'emmet', 'github', 'copilot']) assert.ok(!names.includes(left), `${left} is left out`);

    // The memory tuning reaches the extension host, which runs with the server's small young
    // generation, glibc's fixed thresholds and the idle collection preloaded.
    const host = processes(id).find((p) => p.cmd.includes('--type=extensionHost'));
    assert.ok(host, 'an extension host');
    const env = environmentOf(host.pid);
    assert.deepEqual([env.MALLOC_ARENA_MAX, env.MALLOC_MMAP_THRESHOLD_, env.MALLOC_TRIM_THRESHOLD_], ['2', '131072', '131072']);
    assert.match(host.cmd, /--max-semi-space-size=1 .*--require=\/opt\/codeyard\/idle-gc\.cjs/);
    assert.equal(processes(id).filter((p) => p.cmd.includes('jsonServerMain')).length, 0, 'no JSON language server: no JSON file is open');
    await page.context().close();
  });

  it('gives a Node repl JavaScript IntelliSense from a TypeScript server', async () => {
    const { id, page } = await openRepl('node', 'index.js');
    await vscodeIn(page).locator('.monaco-editor .view-lines', { hasText: 'Press Run' }).waitFor({ timeout: 30_000 });
    await eventually(async () => processes(id).some((p) => p.cmd.includes('tsserver.js')), 'a TypeScript server for the open JavaScript file');
    // Run by tsserver-node (js/ts.tsserver.node.path): code-server's Node, a small young generation, the idle collection.
    const tsserver = processes(id).find((p) => p.cmd.includes('tsserver.js'))!;
    assert.match(tsserver.cmd, /^\S+\/node --max-semi-space-size=4 --require=\/opt\/codeyard\/idle-gc\.cjs --max-old-space-size=\d+ \S+\/tsserver\.js /);
    // A new last line asking for console's members: the suggestions come from the TypeScript server
    // (its libraries declare console; the file only uses console.log, so words from the file would
    // not give console.error or console.count).
    await vscodeIn(page).locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('console.');
    await page.keyboard.press('Control+Space');
    await vscodeIn(page).locator('.suggest-widget .monaco-list-row', { hasText: 'error' }).first().waitFor({ timeout: 60_000 });
    const labels = await vscodeIn(page).locator('.suggest-widget .monaco-list-row .label-name').allTextContents();
    assert.ok(labels.includes('count'), `console.count suggested (got ${labels.join(', ')})`);
    await page.context().close();
  });

  it('starts no JSON language server in a Node repl until a JSON file is opened, then validates it', async () => {
    const { id, page } = await openRepl('node', 'index.js');
    // The extension host is up and has activated what it does at startup; give it a moment more.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const jsonServers = () => processes(id).filter((p) => p.cmd.includes('jsonServerMain'));
    assert.equal(jsonServers().length, 0, `no JSON language server before a JSON file is opened:\n${processes(id).map((p) => p.cmd).join('\n')}`);

    await vscodeIn(page).locator('.explorer-folders-view .monaco-list-row', { hasText: 'package.json' }).click();
    await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'package.json' }).waitFor({ timeout: 30_000 });
    await eventually(async () => jsonServers().length === 1, 'a JSON language server for the opened package.json');
    // Text after the object: the JSON server reports it ("End of file expected"), as a squiggle.
    await vscodeIn(page).locator('.monaco-editor .view-lines', { hasText: '"name"' }).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' oops');
    await vscodeIn(page).locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
    await page.context().close();
  });
});
