import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { Ajv } from 'ajv';
import { executableOf, flipAppFuses, FUSES } from '../../src/packaging/fuses.js';

const DESKTOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
const config = JSON.parse(fs.readFileSync(path.join(DESKTOP, 'electron-builder.json'), 'utf8')) as Record<string, any>;

describe('electron-builder configuration', () => {
  it('is valid by electron-builder\'s own schema (app-builder-lib/scheme.json)', () => {
    const schema = JSON.parse(fs.readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    // And the schema bites: a misspelt key or a wrong type is refused.
    assert.equal(validate({ ...config, linx: {} }), false);
    assert.equal(validate({ ...config, asar: 'yes' }), false);
  });

  it('builds AppImage, deb, dmg and nsis, registers codeyard:// and flips the fuses after packing', () => {
    assert.deepEqual([config.linux.target, config.mac.target, config.win.target], [['AppImage', 'deb'], ['dmg'], ['nsis']]);
    assert.deepEqual(config.protocols, [{ name: 'Codeyard', schemes: ['codeyard'] }]);
    assert.ok(config.linux.mimeTypes.includes('x-scheme-handler/codeyard'));
    assert.equal(config.asar, true);
    assert.equal(config.afterPack, './scripts/after-pack.mjs');
    assert.ok(fs.existsSync(path.join(DESKTOP, config.afterPack)));
    assert.equal(config.publish[0].provider, 'generic', 'update checks have a feed, and stay off until the user turns them on');
  });

  it('ships the icons it names, drawn at the sizes each platform wants', () => {
    const size = (file: string) => {
      const png = fs.readFileSync(path.join(DESKTOP, file));
      assert.equal(png.subarray(1, 4).toString(), 'PNG', file);
      return [png.readUInt32BE(16), png.readUInt32BE(20)];
    };
    assert.deepEqual(size(config.mac.icon), [1024, 1024], 'macOS and Windows icons are made from a 1024 px PNG');
    for (const n of [16, 32, 48, 64, 128, 256, 512]) assert.deepEqual(size(`${config.linux.icon}/${n}x${n}.png`), [n, n]);
    assert.deepEqual(size('build/trayTemplate.png'), [16, 16]);
    assert.deepEqual(size('build/trayTemplate@2x.png'), [32, 32]);
    for (const pattern of config.files.filter((f: string) => f.startsWith('build/'))) assert.ok(fs.existsSync(path.join(DESKTOP, pattern)), pattern);
  });
});

/** A file laid out as Electron's binary holds its fuses: the sentinel, version 1, the wire length, one byte per fuse. */
function fakeElectronBinary(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-fuses-'));
  const file = path.join(dir, 'codeyard-desktop');
  const wire = Buffer.alloc(9, FuseState.ENABLE);
  wire[FuseV1Options.EnableCookieEncryption] = FuseState.DISABLE;
  wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation] = FuseState.DISABLE;
  wire[FuseV1Options.OnlyLoadAppFromAsar] = FuseState.DISABLE;
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 0x7f), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, wire.length]), wire, Buffer.alloc(4096, 0x7f)]));
  return file;
}

describe('fuses (@electron/fuses on a binary laid out as Electron\'s)', () => {
  it('turns off RunAsNode, NODE_OPTIONS and --inspect, turns on cookie encryption, ASAR-only loading and its integrity check', async () => {
    const binary = fakeElectronBinary();
    await flipAppFuses({ electronPlatformName: 'linux', appOutDir: path.dirname(binary), productFilename: 'Codeyard', executableName: 'codeyard-desktop', arch: 1 });
    const wire = await getCurrentFuseWire(binary);
    const state = (fuse: FuseV1Options) => wire[fuse];
    assert.equal(state(FuseV1Options.RunAsNode), FuseState.DISABLE);
    assert.equal(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable), FuseState.DISABLE);
    assert.equal(state(FuseV1Options.EnableNodeCliInspectArguments), FuseState.DISABLE);
    assert.equal(state(FuseV1Options.EnableCookieEncryption), FuseState.ENABLE);
    assert.equal(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation), FuseState.ENABLE);
    assert.equal(state(FuseV1Options.OnlyLoadAppFromAsar), FuseState.ENABLE);
    assert.equal(state(FuseV1Options.GrantFileProtocolExtraPrivileges), FuseState.DISABLE);
    assert.equal(state(FuseV1Options.LoadBrowserProcessSpecificV8Snapshot), FuseState.ENABLE, 'fuses not named are left as they were');
  });

  it('flips the right file on each platform, re-signing arm64 macOS builds', async () => {
    const base = { appOutDir: '/out', productFilename: 'Codeyard', executableName: 'codeyard-desktop', arch: 1 };
    assert.equal(executableOf({ ...base, electronPlatformName: 'darwin' }), '/out/Codeyard.app');
    assert.equal(executableOf({ ...base, electronPlatformName: 'win32' }), path.join('/out', 'Codeyard.exe'));
    assert.equal(executableOf({ ...base, electronPlatformName: 'linux' }), '/out/codeyard-desktop');
    const calls: Array<[string, Record<string, unknown>]> = [];
    await flipAppFuses({ ...base, electronPlatformName: 'darwin', arch: 3 }, (async (p: string, c: Record<string, unknown>) => (calls.push([p, c]), 1)) as never);
    assert.equal(calls[0]![1].resetAdHocDarwinSignature, true);
    assert.equal(calls[0]![1][FuseV1Options.RunAsNode], FUSES[FuseV1Options.RunAsNode]);
  });
});
