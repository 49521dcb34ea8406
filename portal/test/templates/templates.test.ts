import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { FsStore } from '../../src/store/fs-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { loadTemplates, seedTemplates, templatePrefix } from '../../src/templates/catalog.js';
import { compareVersions, findVersion, ManifestError, parseManifest } from '../../src/templates/manifest.js';

const REPO_TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../templates');

const valid = {
  id: 'demo',
  name: 'Demo',
  description: 'A demo.',
  icon: 'icon.svg',
  main: 'main.js',
  run: 'node main.js',
  port: 3000,
  toolchain: { name: 'node', check: 'node --version', minVersion: '18', installHint: 'Install Node.' },
};

describe('repl.json manifests', () => {
  it('accepts a valid manifest, with or without limits of its own', () => {
    assert.equal(parseManifest(valid, 'demo/repl.json', 'demo').run, 'node main.js');
    assert.deepEqual(parseManifest({ ...valid, limits: { memoryMb: 4096, cpus: 2 } }, 'demo/repl.json', 'demo').limits, { memoryMb: 4096, cpus: 2 });
  });

  it('takes a stack without a toolchain of its own (one that runs on what Codeyard brings)', () => {
    const { toolchain: _none, ...bare } = valid;
    assert.equal(parseManifest(bare, 'demo/repl.json', 'demo').toolchain, undefined);
  });

  it('takes the languages its IDE brings tooling for (none named: all)', () => {
    assert.deepEqual(parseManifest({ ...valid, languages: ['javascript', 'html', 'javascript'] }, 'demo/repl.json', 'demo').languages, ['javascript', 'html']);
    assert.equal(parseManifest(valid, 'demo/repl.json', 'demo').languages, undefined);
  });

  const broken: Array<[string, object, RegExp]> = [
    ['id differs from the folder', { ...valid, id: 'other' }, /"id" must match its folder name/],
    ['run missing', { ...valid, run: undefined }, /"run" must be a non-empty string/],
    ['port out of range', { ...valid, port: 80 }, /"port" must be a whole number from 1024/],
    ['port not a number', { ...valid, port: '3000' }, /"port"/],
    ['absolute main', { ...valid, main: '/etc/passwd' }, /"main"/],
    ['traversing main', { ...valid, main: '../x.js' }, /"main"/],
    ['unknown field', { ...valid, runn: 'x' }, /"runn" is not a known field/],
    ['unknown language', { ...valid, languages: ['cobol'] }, /"languages" must be a list of languages from javascript, html/],
    ['languages not a list', { ...valid, languages: 'python' }, /"languages"/],
    ['toolchain without check', { ...valid, toolchain: { name: 'node', installHint: 'x' } }, /"toolchain.check"/],
    ['toolchain not an object', { ...valid, toolchain: 'node' }, /"toolchain" must be an object/],
    ['bad minVersion', { ...valid, toolchain: { ...valid.toolchain, minVersion: 'latest' } }, /"toolchain.minVersion"/],
    ['installCreates without install', { ...valid, installCreates: 'node_modules' }, /"installCreates" needs "install"/],
    ['an unknown limit', { ...valid, limits: { gpus: 1 } }, /"limits.gpus" is not a known limit/],
    ['a limit out of range', { ...valid, limits: { memoryMb: 10 } }, /"limits.memoryMb" must be a whole number from 256/],
  ];
  for (const [what, manifest, message] of broken) {
    it(`names the file and the field when ${what}`, () => {
      assert.throws(
        () => parseManifest(JSON.parse(JSON.stringify(manifest)), 'templates/demo/repl.json', 'demo'),
        (err: unknown) => err instanceof ManifestError && err.message.startsWith('templates/demo/repl.json: ') && message.test(err.message),
      );
    });
  }

  it('compares and finds versions', () => {
    assert.equal(compareVersions('1.21', '1.21.0'), 0);
    assert.equal(compareVersions('1.9', '1.21'), -1);
    assert.equal(compareVersions('20.19.1', '20.19'), 1);
    assert.equal(findVersion('go version go1.22.1 linux/amd64'), '1.22.1');
    assert.equal(findVersion('v20.20.2'), '20.20.2');
    assert.equal(findVersion('cargo 1.95.0 (f2d3ce0bd 2026-03-21)'), '1.95.0');
  });
});

describe('the repository templates', () => {
  it('are six valid stacks, each with its main file and a port', async () => {
    const templates = await loadTemplates(REPO_TEMPLATES);
    assert.deepEqual(templates.map((t) => t.manifest.id).sort(), ['go', 'node', 'python', 'react', 'rust', 'static']);
    for (const t of templates) {
      assert.ok(t.files.includes(t.manifest.main), `${t.manifest.id} has its main file`);
      assert.ok(!t.files.includes('repl.json') && !t.files.includes(t.manifest.icon), 'manifest and icon are not starter files');
      assert.match(t.version, /^[0-9a-f]{16}$/);
    }
  });

  it('are seeded into the store once per content version', async () => {
    const templates = await loadTemplates(REPO_TEMPLATES);
    const store = await FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-seed-')));
    const first = await seedTemplates(store, templates);
    assert.equal(first.seeded.length, 6);
    const second = await seedTemplates(store, templates);
    assert.deepEqual(second, { seeded: [], present: first.seeded });
    const node = templates.find((t) => t.manifest.id === 'node')!;
    const files = await new WorkspaceStore(store).readFile(templatePrefix('node', node.version), 'index.js');
    assert.match(files.toString('utf8'), /listen/);
  });

  it('stop the start with a message naming a broken manifest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-tpl-'));
    fs.mkdirSync(path.join(dir, 'demo'));
    fs.writeFileSync(path.join(dir, 'demo', 'repl.json'), '{ "id": "demo", ');
    await assert.rejects(loadTemplates(dir), (err: unknown) => err instanceof ManifestError && err.message.includes(path.join(dir, 'demo', 'repl.json')) && /not valid JSON/.test(err.message));
    fs.writeFileSync(path.join(dir, 'demo', 'repl.json'), JSON.stringify({ ...valid, main: 'missing.js' }));
    fs.writeFileSync(path.join(dir, 'demo', 'icon.svg'), '<svg/>');
    await assert.rejects(loadTemplates(dir), /"main" names missing.js, which is not among the starter files/);
  });
});
