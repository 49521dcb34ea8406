import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yazl from 'yazl';
import { codeServerArgs } from '../../src/runtime/process/code-server-settings.js';
import { codeServerBuiltinDir, omitsBuiltin, prepareBuiltinExtensions } from '../../src/runtime/process/ide-extensions.js';

function writeZip(file: string, entries: Record<string, string>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  return new Promise((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject));
}

describe("the Codeyard extension among code-server's built-ins", () => {
  let dir: string;
  let install: string;
  let builtins: string;
  let vsix: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-ideext-'));
    install = path.join(dir, 'code-server-4.139.1');
    builtins = path.join(install, 'node_modules', 'code-server', 'lib', 'vscode', 'extensions');
    for (const name of ['git', 'theme-defaults', 'simple-browser', 'copilot', 'tunnel-forwarding', 'github', 'typescript-language-features', 'emmet', 'html-language-features']) {
      fs.mkdirSync(path.join(builtins, name), { recursive: true });
      fs.writeFileSync(path.join(builtins, name, 'package.json'), JSON.stringify({ name, publisher: 'vscode' }));
    }
    vsix = path.join(dir, 'codeyard.vsix');
    await writeZip(vsix, {
      'extension.vsixmanifest': '<PackageManifest/>',
      '[Content_Types].xml': '<Types/>',
      'extension/package.json': JSON.stringify({ name: 'codeyard', publisher: 'codeyard', version: '0.1.0' }),
      'extension/dist/extension.js': 'exports.activate = () => {};',
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds code-server's built-in folder in a provisioned or a standalone install", () => {
    assert.equal(codeServerBuiltinDir(install), builtins);
    assert.equal(codeServerBuiltinDir(path.join(install, 'node_modules', 'code-server')), builtins);
    assert.equal(codeServerBuiltinDir(dir), undefined);
  });

  it('links the built-ins and unpacks the extension once, into a folder named by content', async () => {
    const parentDir = path.join(dir, 'repls', '.ide-extensions');
    const made = await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir });
    assert.equal(path.dirname(made), parentDir);
    // The AI runtime, Remote Tunnels and GitHub are left out: a repl never loads them. A stack
    // that names no languages keeps every language's tooling.
    assert.deepEqual(fs.readdirSync(made).sort(), ['codeyard', 'emmet', 'git', 'html-language-features', 'simple-browser', 'theme-defaults', 'typescript-language-features']);
    assert.equal(fs.readlinkSync(path.join(made, 'git')), path.join(builtins, 'git'));
    assert.equal(JSON.parse(fs.readFileSync(path.join(made, 'codeyard', 'package.json'), 'utf8')).publisher, 'codeyard');
    assert.equal(fs.readFileSync(path.join(made, 'codeyard', 'dist', 'extension.js'), 'utf8'), 'exports.activate = () => {};');
    // Readable by every repl uid.
    assert.equal(fs.statSync(made).mode & 0o777, 0o755);
    assert.equal(fs.statSync(path.join(made, 'codeyard', 'package.json')).mode & 0o777, 0o644);

    // Again: the same folder, untouched; no temporary folder left behind.
    const mtime = fs.statSync(made).mtimeMs;
    assert.equal(await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir }), made);
    assert.equal(fs.statSync(made).mtimeMs, mtime);
    assert.deepEqual(fs.readdirSync(parentDir), [path.basename(made)]);

    // A new build of the extension gets a folder of its own (running repls keep theirs).
    await writeZip(vsix, { 'extension/package.json': JSON.stringify({ name: 'codeyard', publisher: 'codeyard', version: '0.2.0' }) });
    const next = await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir });
    assert.notEqual(next, made);
    assert.equal(JSON.parse(fs.readFileSync(path.join(next, 'codeyard', 'package.json'), 'utf8')).version, '0.2.0');
  });

  it("gives a stack only its languages' tooling, each set in a folder of its own", async () => {
    const parentDir = path.join(dir, 'by-language');
    const python = await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir, languages: ['python'] });
    const node = await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir, languages: ['javascript'] });
    const web = await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir, languages: ['html', 'css'] });
    assert.deepEqual(fs.readdirSync(python).sort(), ['codeyard', 'git', 'simple-browser', 'theme-defaults'], 'no TypeScript server, no Emmet for Python');
    assert.deepEqual(fs.readdirSync(node).sort(), ['codeyard', 'git', 'simple-browser', 'theme-defaults', 'typescript-language-features']);
    assert.deepEqual(fs.readdirSync(web).sort(), ['codeyard', 'emmet', 'git', 'html-language-features', 'simple-browser', 'theme-defaults']);
    assert.equal(new Set([python, node, web]).size, 3);
    assert.equal(await prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir, languages: ['python'] }), python, 'made once per set');
  });

  it('leaves language tooling out only for stacks that name other languages', () => {
    assert.equal(omitsBuiltin('typescript-language-features', undefined), false);
    assert.equal(omitsBuiltin('typescript-language-features', ['javascript']), false);
    assert.equal(omitsBuiltin('typescript-language-features', ['python']), true);
    assert.equal(omitsBuiltin('ms-vscode.js-debug', ['rust']), true);
    assert.equal(omitsBuiltin('emmet', ['css']), false);
    assert.equal(omitsBuiltin('json-language-features', ['python']), false, 'JSON support (settings files) stays everywhere');
    assert.equal(omitsBuiltin('python', ['go']), false, 'grammars stay everywhere');
    assert.equal(omitsBuiltin('github-authentication', undefined), true);
  });

  it('refuses a VSIX without an extension manifest, and leaves nothing half-made', async () => {
    const bad = path.join(dir, 'bad.vsix');
    await writeZip(bad, { 'extension/readme.md': 'x' });
    const parentDir = path.join(dir, 'bad');
    await assert.rejects(prepareBuiltinExtensions({ vsix: bad, codeServerBuiltins: builtins, parentDir }), /no extension\/package\.json/);
    assert.deepEqual(fs.readdirSync(parentDir), []);
  });

  it('refuses a VSIX whose content is corrupt, as an error (the portal keeps running)', async () => {
    const corrupt = path.join(dir, 'corrupt.vsix');
    await writeZip(corrupt, { 'extension/package.json': JSON.stringify({ name: 'codeyard' }), 'extension/dist/big.js': 'x'.repeat(200_000) });
    const bytes = fs.readFileSync(corrupt);
    // Garbage in the middle of the big entry's deflated data (it starts after its local header).
    const at = bytes.indexOf(Buffer.from('extension/dist/big.js')) + 40;
    bytes.fill(0xff, at, at + 64);
    fs.writeFileSync(corrupt, bytes);
    const parentDir = path.join(dir, 'corrupt');
    await assert.rejects(prepareBuiltinExtensions({ vsix: corrupt, codeServerBuiltins: builtins, parentDir }));
    assert.deepEqual(fs.readdirSync(parentDir), [], 'nothing half-made');
  });

  it('gives code-server the folder as its built-in extensions folder', () => {
    const base = { socketPath: '/run/ide.sock', userDataDir: '/u', extensionsDir: '/u/extensions', configFile: '/c', workspace: '/w' };
    assert.equal(codeServerArgs(base).includes('--builtin-extensions-dir'), false);
    const args = codeServerArgs({ ...base, builtinExtensionsDir: '/x/.ide-extensions/abc' });
    assert.equal(args[args.indexOf('--builtin-extensions-dir') + 1], '/x/.ide-extensions/abc');
    assert.equal(args.at(-1), '/w', 'the workspace stays last');
  });
});
