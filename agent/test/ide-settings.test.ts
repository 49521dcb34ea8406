import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { mergeUserSettings } from '../src/ide-settings.js';

describe('mergeUserSettings', () => {
  it("keeps the user's own values over the defaults", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-set-')), 'User', 'settings.json');
    await mergeUserSettings(file, { a: 1, b: 2 });
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), b: 'mine', c: 3 }));
    await mergeUserSettings(file, { a: 1, b: 2 });
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { a: 1, b: 'mine', c: 3 });
  });

  it('replaces a link in place of the file instead of writing through it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-set-'));
    const target = path.join(dir, 'elsewhere.txt');
    fs.writeFileSync(target, 'untouched');
    const file = path.join(dir, 'settings.json');
    fs.symlinkSync(target, file);
    await mergeUserSettings(file, { a: 1 });
    assert.equal(fs.readFileSync(target, 'utf8'), 'untouched');
    assert.equal(fs.lstatSync(file).isFile(), true);
  });
});
