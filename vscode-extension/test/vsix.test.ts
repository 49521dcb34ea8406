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
    for (const c of ['codeyard.run', 'codeyard.restart', 'codeyard.stop', 'codeyard.openPreview', 'codeyard.openExternal', 'codeyard.openDashboard']) assert.ok(commands.includes(c), c);
    // One vocabulary: Run, Restart and Stop app act on the app (Stop repl is the dashboard's).
    const titles = Object.fromEntries(manifest.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));
    assert.deepEqual([titles['codeyard.run'], titles['codeyard.restart'], titles['codeyard.stop']], ['Run', 'Restart App', 'Stop App']);
    const title = new Map(manifest.contributes.menus['editor/title'].map((m: { command: string; when: string }) => [m.command, m.when]));
    assert.equal(title.get('codeyard.run'), 'codeyard.active && !codeyard.appRunning');
    assert.equal(title.get('codeyard.restart'), 'codeyard.active && codeyard.appRunning');
    assert.equal(title.get('codeyard.stop'), 'codeyard.active && codeyard.appRunning');
    assert.equal(title.get('codeyard.openPreview'), 'codeyard.active', 'the Preview button is always in the editor title');
    const keys = manifest.contributes.keybindings as Array<{ key: string; command: string; when: string; mac?: string }>;
    // F5 is Codeyard's Run unless the workspace has a debugger configuration.
    const f5 = keys.find((k) => k.key === 'f5');
    assert.equal(f5?.command, 'codeyard.run');
    assert.match(f5!.when, /!codeyard\.debugConfigured/);
    // Restart's key is the debugger's: it stays the debugger's while one runs.
    assert.deepEqual(keys.find((k) => k.command === 'codeyard.restart'), { command: 'codeyard.restart', key: 'ctrl+shift+f5', mac: 'cmd+shift+f5', when: 'codeyard.active && !inDebugMode' });
    // VS Code's Run and Debug view leads to Codeyard's Run while no debugger is configured.
    const welcome = manifest.contributes.viewsWelcome as Array<{ view: string; contents: string; when: string }>;
    assert.deepEqual(welcome.map((w) => [w.view, w.when]), [['debug', 'codeyard.active && !codeyard.debugConfigured']]);
    assert.match(welcome[0]!.contents, /\(command:codeyard\.run\)/);
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
