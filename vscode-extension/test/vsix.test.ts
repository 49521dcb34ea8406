import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import yauzl from 'yauzl';

const ROOT = path.resolve(__dirname, '../..');
const VSIX = path.join(ROOT, 'dist', 'codeyard.vsix');

function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const entries = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

describe('the VSIX (npm run build -w @codeyard/vscode-extension)', { skip: fs.existsSync(VSIX) ? false : `${VSIX} is not built` }, () => {
  it('holds the VSIX manifest, content types and the extension with its manifest', async () => {
    const entries = await readZip(VSIX);
    const source = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual([...entries.keys()].sort(), ['[Content_Types].xml', 'extension.vsixmanifest', 'extension/README.md', 'extension/dist/extension.js', 'extension/package.json']);
    const manifest = JSON.parse(entries.get('extension/package.json')!.toString());
    assert.equal(manifest.name, 'codeyard');
    assert.equal(manifest.publisher, 'codeyard');
    assert.equal(manifest.version, source.version);
    assert.equal(manifest.main, './dist/extension.js');
    // At startup with the eager built-ins, not after them: Run appears in VS Code sooner.
    assert.deepEqual(manifest.activationEvents, ['*']);
    assert.match(manifest.engines.vscode, /^\^1\.\d+\.\d+$/);
    for (const npmOnly of ['devDependencies', 'scripts', 'private', 'type', 'vsixName']) assert.equal(manifest[npmOnly], undefined, npmOnly);
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command);
<<<<<<< HEAD
    for (const c of ['codeyard.run', 'codeyard.stop', 'codeyard.openPreview', 'codeyard.openExternal', 'codeyard.openDashboard']) assert.ok(commands.includes(c), c);
    const title = new Map(manifest.contributes.menus['editor/title'].map((m: { command: string; when: string }) => [m.command, m.when]));
    assert.equal(title.get('codeyard.run'), 'codeyard.active && !codeyard.appRunning');
    assert.equal(title.get('codeyard.stop'), 'codeyard.active && codeyard.appRunning');
    assert.equal(title.get('codeyard.openPreview'), 'codeyard.active', 'the Preview button is always in the editor title');
    // F5 is Codeyard's Run unless the workspace has a debugger configuration.
    const f5 = manifest.contributes.keybindings.find((k: { key: string }) => k.key === 'f5');
    assert.equal(f5?.command, 'codeyard.run');
    assert.match(f5.when, /!codeyard\.debugConfigured/);
=======
    for (const c of ['codeyard.run', 'codeyard.restart', 'codeyard.stop', 'codeyard.openPreview', 'codeyard.openExternal']) assert.ok(commands.includes(c), c);
    // One vocabulary: Run, Restart and Stop app act on the app (Stop repl is the dashboard's).
    const titles = Object.fromEntries(manifest.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));
    assert.deepEqual([titles['codeyard.run'], titles['codeyard.restart'], titles['codeyard.stop']], ['Run', 'Restart App', 'Stop App']);
    const title = manifest.contributes.menus['editor/title'];
    assert.deepEqual(
      title.map((m: { command: string; when: string }) => [m.command, m.when]),
      [
        ['codeyard.run', 'codeyard.active && !codeyard.appRunning'],
        ['codeyard.restart', 'codeyard.active && codeyard.appRunning'],
        ['codeyard.stop', 'codeyard.active && codeyard.appRunning'],
      ],
    );
    // Restart's key is the debugger's: it stays the debugger's while one runs.
    assert.deepEqual(manifest.contributes.keybindings, [{ command: 'codeyard.restart', key: 'ctrl+shift+f5', mac: 'cmd+shift+f5', when: 'codeyard.active && !inDebugMode' }]);
>>>>>>> 3f8f4f2 (Restart (issue 17, item 3): Run pressed while the app runs restarts it, like Replit's Run. The agent's RunSupervisor.restart() stops the app's whole group and starts it again (POST /app/restart in the agent contract); the portal's POST /api/repls/:id/app/restart does it for the owner (starting the repl too when it is stopped), the Codeyard bar's one button says Run or Restart with Stop app beside it (POST /_codeyard/app/restart: owner's cookie and the host's own origin only, as Run), the extension has Restart App (Ctrl+Shift+F5 outside a debug session, editor title and status bar; its Run restarts a running app) and the dashboard card a Restart button. One vocabulary: Run, Restart and Stop app act on the app (the repl keeps running), Start repl and Stop repl on the whole repl; the extension's Stop is Stop App, API summaries and the bar's messages say so. Also fixed: stop() awaited whatever run was current once the group was gone, so a second Stop or Restart pressed during a restart waited for the next run to end (5 min in the new test); it now waits for its own run. Tests: supervisor (new process, group ended, two at once end in one app), contract, proxy policy and bar routes (strangers 401, other sites 403, GET 405), API 404 for another account, extension manifest (titles, menus, keybinding) and views; the Chromium extension test presses Ctrl+Shift+F5 and the status bar's Restart)
    const xml = entries.get('extension.vsixmanifest')!.toString();
    assert.match(xml, new RegExp(`<Identity Language="en-US" Id="codeyard" Version="${source.version.replace(/\./g, '\\.')}" Publisher="codeyard" />`));
    assert.match(entries.get('[Content_Types].xml')!.toString(), /Extension="\.js"/);
  });

  it('bundles ws and leaves only vscode to the host', async () => {
    const js = (await readZip(VSIX)).get('extension/dist/extension.js')!.toString();
    assert.match(js, /require\("vscode"\)/);
    assert.doesNotMatch(js, /require\("ws"\)/);
    assert.match(js, /ws\+unix/);
  });

  it('is the same bytes for the same build (the runtime keys its unpacked copy on them)', async () => {
    assert.ok(fs.statSync(VSIX).size < 1024 * 1024);
  });
});
