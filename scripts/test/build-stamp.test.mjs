// The build's skip logic on a small project in a temporary folder, with real commands (node
// writing its outputs), and the real step table checked against this checkout.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fingerprintInputs, runSteps, staleReason } from '../build-stamp.mjs';
import { STEPS } from '../build-steps.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A step that concatenates its `src` folder into out/<name>.txt, as a real program run by runSteps. */
function concatStep(name, src, extra = {}) {
  const script = `const fs=require('fs'),p=require('path');fs.mkdirSync('out',{recursive:true});fs.writeFileSync(p.join('out','${name}.txt'),fs.readdirSync('${src}').sort().map(f=>fs.readFileSync(p.join('${src}',f),'utf8')).join(''))`;
  return { name, inputs: ['lock.json', src], outputs: [`out/${name}.txt`], command: [process.execPath, '-e', script], ...extra };
}

describe('build steps skipped by their stamps', () => {
  let root;
  let stampDir;
  let said;
  const steps = () => [concatStep('one', 'a'), concatStep('two', 'b', { tools: [{ name: 'faketool' }] })];
  const build = (options = {}) => runSteps(steps(), { root, stampDir, say: (line) => said.push(line), ...options });
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-build-'));
    stampDir = path.join(root, 'stamps');
    said = [];
    write('lock.json', '{}');
    write('a/x.ts', 'a1');
    write('b/y.ts', 'b1');
    write('node_modules/faketool/package.json', '{"version":"1.0.0"}');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('runs every step the first time, then none while nothing changed', async () => {
    assert.deepEqual(await build(), { ran: ['one', 'two'], skipped: [] });
    assert.equal(fs.readFileSync(path.join(root, 'out/one.txt'), 'utf8'), 'a1');
    assert.deepEqual(await build(), { ran: [], skipped: ['one', 'two'] });
  });

  it('rebuilds only the step whose source changed, and the output holds the change', async () => {
    await build();
    write('a/x.ts', 'a2');
    assert.deepEqual(await build(), { ran: ['one'], skipped: ['two'] });
    assert.equal(fs.readFileSync(path.join(root, 'out/one.txt'), 'utf8'), 'a2');
    assert.match(said.at(-1), /one: a\/x\.ts changed/);
  });

  it('rebuilds for a new or deleted source file, and for a changed lockfile', async () => {
    await build();
    write('b/z.ts', 'z');
    assert.deepEqual((await build()).ran, ['two']);
    fs.rmSync(path.join(root, 'b/z.ts'));
    assert.deepEqual((await build()).ran, ['two']);
    write('lock.json', '{"changed":true}');
    assert.deepEqual((await build()).ran, ['one', 'two']);
  });

  it('does not rebuild for a touched source whose content is the same', async () => {
    await build();
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, 'a/x.ts'), later, later);
    assert.deepEqual((await build()).ran, []);
  });

  it('rebuilds a step whose output is missing or was changed since', async () => {
    await build();
    fs.rmSync(path.join(root, 'out/one.txt'));
    assert.match(staleReason(root, stampDir, steps()[0]), /output/);
    assert.deepEqual((await build()).ran, ['one']);
    fs.writeFileSync(path.join(root, 'out/two.txt'), 'edited by hand');
    assert.deepEqual((await build()).ran, ['two']);
    assert.equal(fs.readFileSync(path.join(root, 'out/two.txt'), 'utf8'), 'b1');
  });

  it('rebuilds when the tool version or the step itself changes', async () => {
    await build();
    write('node_modules/faketool/package.json', '{"version":"1.1.0"}');
    assert.deepEqual((await build()).ran, ['two']);
    assert.match(said.at(-1), /faketool is now 1\.1\.0/);
    const changed = [concatStep('one', 'a', { outputs: ['out/one.txt', 'lock.json'] }), steps()[1]];
    assert.deepEqual((await runSteps(changed, { root, stampDir, say: () => undefined })).ran, ['one']);
  });

  it('rebuilds when the stamp is gone, and everything with force', async () => {
    await build();
    fs.rmSync(stampDir, { recursive: true });
    assert.deepEqual((await build()).ran, ['one', 'two']);
    assert.deepEqual((await build({ force: true })).ran, ['one', 'two']);
  });

  it('stops at a failed step and runs it again next time, even with its inputs unchanged', async () => {
    await build();
    write('a/x.ts', 'a2');
    const failing = [{ ...concatStep('one', 'a'), command: [process.execPath, '-e', 'process.exit(3)'] }, steps()[1]];
    await assert.rejects(runSteps(failing, { root, stampDir, say: () => undefined }), /exit 3/);
    assert.equal(staleReason(root, stampDir, steps()[0]), 'never built here');
    assert.deepEqual((await build()).ran, ['one']);
  });

  it('refuses a step that succeeds without making its outputs', async () => {
    const empty = [{ ...concatStep('one', 'a'), command: [process.execPath, '-e', '0'] }];
    await assert.rejects(runSteps(empty, { root, stampDir, say: () => undefined }), /did not make out\/one\.txt/);
    assert.equal(staleReason(root, stampDir, empty[0]), 'never built here');
  });
});

describe("Codeyard's own build steps", () => {
  const byName = Object.fromEntries(STEPS.map((s) => [s.name, s]));

  it('name inputs that exist in this checkout (a misspelt one would never be read)', () => {
    for (const step of STEPS) {
      for (const spec of step.inputs) {
        const rel = typeof spec === 'string' ? spec : spec.path;
        // The bundlers read common's build output, which the tsc step makes.
        if (rel.startsWith('common/dist') || rel === 'node_modules/.package-lock.json') continue;
        assert.ok(fs.existsSync(path.join(REPO, rel)), `${step.name}: ${rel} exists`);
      }
    }
  });

  it('rebuild exactly the steps that read a changed source', () => {
    const readers = (file) => STEPS.filter((s) => file in fingerprintInputs(REPO, s)).map((s) => s.name);
    assert.deepEqual(readers('agent/src/main.ts'), ['tsc', 'agent']);
    assert.deepEqual(readers('vscode-extension/src/extension.ts'), ['tsc', 'extension']);
    assert.deepEqual(readers('vscode-extension/scripts/package-vsix.mjs'), ['extension']);
    // The desktop app's home page bundles the portal's elements.
    assert.deepEqual(readers('portal/ui/src/main.ts'), ['ui', 'desktop-ui']);
    assert.deepEqual(readers('desktop/ui/src/home/desktop-home.ts'), ['desktop-ui']);
    assert.deepEqual(readers('desktop/src/main/deep-link.ts'), ['tsc']);
    assert.deepEqual(readers('desktop/src/shared/ipc-channels.ts'), ['tsc', 'desktop-ui']);
    assert.deepEqual(readers('portal/src/main.ts'), ['tsc']);
    assert.deepEqual(readers('common/src/errors.ts'), ['tsc']);
    assert.deepEqual(readers('package-lock.json'), ['tsc', 'agent', 'extension', 'ui', 'desktop-ui']);
    assert.ok(!readers('portal/bench/results/latest.json').length, 'bench results are no input');
  });

  it('are up to date right after the build (no step undoes another one)', { skip: fs.existsSync(path.join(REPO, 'node_modules/.cache/codeyard-build/ui.json')) ? false : 'not built with scripts/build.mjs here' }, () => {
    const stampDir = path.join(REPO, 'node_modules', '.cache', 'codeyard-build');
    for (const step of STEPS) assert.equal(staleReason(REPO, stampDir, step), undefined, `${step.name} is up to date`);
    assert.ok(byName.tsc.outputs.includes('portal/dist/src'));
  });
});
