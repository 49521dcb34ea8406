import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { AppError } from '@codeyard/common/errors';
import { detectArchiveFormat, readArchive, writeArchive, type ArchiveEntry } from '../../src/archive/archive.js';
import { FORMATS, LIMITS, MTIME, rawTar, refuses, setTypeflag, tarGz, zipOf } from '../helpers/archives.js';

/** A small workspace with everything the formats must carry: folders, exec bits, links, long and non-ASCII names. */
const SAMPLE: ArchiveEntry[] = [
  { path: 'src', type: 'dir', mtimeMs: MTIME },
  { path: 'src/main.py', type: 'file', executable: false, body: Buffer.from('print("hi")\n'), mtimeMs: MTIME },
  { path: 'run.sh', type: 'file', executable: true, body: Buffer.from('#!/bin/sh\necho hi\n'), mtimeMs: MTIME },
  { path: 'empty.txt', type: 'file', executable: false, body: Buffer.alloc(0), mtimeMs: MTIME },
  { path: 'main', type: 'link', target: 'src/main.py', mtimeMs: MTIME },
  { path: 'src/up', type: 'link', target: '../run.sh', mtimeMs: MTIME },
  { path: `deep/${'n'.repeat(120)}.txt`, type: 'file', executable: false, body: Buffer.from('long'), mtimeMs: MTIME },
  { path: 'deep/far', type: 'link', target: `${'n'.repeat(120)}.txt`, mtimeMs: MTIME },
  { path: 'données/été.md', type: 'file', executable: false, body: Buffer.from('# été\n'), mtimeMs: MTIME },
];

/** One pax extended-header record: "<length> <key>=<value>\\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest) + 1;
  while (String(length).length + Buffer.byteLength(rest) !== length) length++;
  return `${length}${rest}`;
}

function works(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cy-archive-'));
}

function summary(entries: ArchiveEntry[]): unknown[] {
  return entries.map((entry) => ({ ...entry, body: entry.body?.toString('utf8') }));
}

describe('detectArchiveFormat', () => {
  it('recognises gzip, zip and empty zip by magic bytes', async () => {
    assert.equal(detectArchiveFormat(await buffer(writeArchive(SAMPLE, 'tar.gz'))), 'tar.gz');
    assert.equal(detectArchiveFormat(await buffer(writeArchive(SAMPLE, 'zip'))), 'zip');
    assert.equal(detectArchiveFormat(await buffer(writeArchive([], 'zip'))), 'zip');
    assert.equal(detectArchiveFormat(Buffer.from('hello world')), undefined);
    assert.equal(detectArchiveFormat(Buffer.alloc(0)), undefined);
  });
});

for (const format of FORMATS) {
  describe(`${format}: write and read back`, () => {
    it('round-trips files, folders, exec bits, symlinks, long and non-ASCII names', async () => {
      const data = await buffer(writeArchive(SAMPLE, format));
      const back = await readArchive(data, format, LIMITS);
      assert.deepEqual(summary(back), summary(SAMPLE));
    });

    it('streams from an async source and reads an empty archive', async () => {
      async function* source(): AsyncGenerator<ArchiveEntry> {
        for (let i = 0; i < 20; i++) {
          yield { path: `blob/${i}.bin`, type: 'file', executable: i % 2 === 0, body: Buffer.alloc(256 * 1024, i), mtimeMs: MTIME };
        }
      }
      const back = await readArchive(await buffer(writeArchive(source(), format)), format, LIMITS);
      assert.equal(back.length, 20);
      assert.deepEqual(back[3].body, Buffer.alloc(256 * 1024, 3));
      assert.equal(back[4].executable, true);
      assert.equal(back[5].executable, false);
      assert.deepEqual(await readArchive(await buffer(writeArchive([], format)), format, LIMITS), []);
    });

    it('stops pulling entries when the reader goes away, and passes source errors on', async () => {
      let made = 0;
      let finished = false;
      async function* endless(): AsyncGenerator<ArchiveEntry> {
        try {
          for (;;) yield { path: `f${++made}.bin`, type: 'file', body: crypto.randomBytes(64 * 1024) };
        } finally {
          finished = true;
        }
      }
      let got = 0;
      for await (const chunk of writeArchive(endless(), format)) if ((got += (chunk as Buffer).length) > 256 * 1024) break;
      for (let i = 0; i < 100 && !finished; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(finished, 'the source was closed');
      assert.ok(made < 64, `read ahead ${made} entries for 256 KB`);
      function* failing(): Generator<ArchiveEntry> {
        yield { path: 'a.txt', type: 'file', body: Buffer.from('a') };
        throw new Error('source failed');
      }
      await assert.rejects(buffer(writeArchive(failing(), format)), /source failed/);
    });

    it('fails the stream when an entry path is unsafe', async () => {
      const out = writeArchive([{ path: '../evil', type: 'file', body: Buffer.from('x') }], format);
      await assert.rejects(buffer(out), (err) => err instanceof AppError && err.code === 'INVALID_PATH');
    });

    it('refuses data of the other format', async () => {
      const other = format === 'zip' ? 'tar.gz' : 'zip';
      const data = await buffer(writeArchive(SAMPLE, other));
      const err = await refuses(data, format, 'INVALID_ARCHIVE', format);
      assert.match(err.message, new RegExp(`looks like ${other}`));
      await refuses(Buffer.from('not an archive'), format, 'INVALID_ARCHIVE', format);
    });
  });
}

describe('archives the system tools can extract', () => {
  it('tar -xzf extracts files, exec bits and symlinks', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.tar.gz'), await buffer(writeArchive(SAMPLE, 'tar.gz')));
    fs.mkdirSync(path.join(dir, 'out'));
    execFileSync('tar', ['-xzf', path.join(dir, 'a.tar.gz'), '-C', path.join(dir, 'out')]);
    checkExtracted(path.join(dir, 'out'), true);
  });

  it('unzip (or python3 zipfile) lists and extracts the zip', async (t) => {
    const dir = tempDir();
    const file = path.join(dir, 'a.zip');
    fs.writeFileSync(file, await buffer(writeArchive(SAMPLE, 'zip')));
    const hasUnzip = works('unzip', ['-v']);
    const hasPython = works('python3', ['--version']);
    if (!hasUnzip && !hasPython) return t.skip('neither unzip nor python3 is installed');
    if (hasPython) {
      execFileSync('python3', ['-m', 'zipfile', '-t', file]); // checks every CRC
      const listing = execFileSync('python3', ['-m', 'zipfile', '-l', file]).toString();
      assert.match(listing, /src\/main\.py/);
    }
    const out = path.join(dir, 'out');
    if (hasUnzip) execFileSync('unzip', ['-q', file, '-d', out]);
    else execFileSync('python3', ['-m', 'zipfile', '-e', file, out]);
    checkExtracted(out, hasUnzip); // python's zipfile writes links as plain files, and drops modes
  });
});

function checkExtracted(dir: string, withModes: boolean): void {
  assert.equal(fs.readFileSync(path.join(dir, 'src/main.py'), 'utf8'), 'print("hi")\n');
  assert.equal(fs.readFileSync(path.join(dir, 'données/été.md'), 'utf8'), '# été\n');
  assert.equal(fs.readFileSync(path.join(dir, `deep/${'n'.repeat(120)}.txt`), 'utf8'), 'long');
  if (!withModes) return;
  assert.ok(fs.statSync(path.join(dir, 'run.sh')).mode & 0o100, 'run.sh is executable');
  assert.equal(fs.statSync(path.join(dir, 'src/main.py')).mode & 0o111, 0, 'main.py is not executable');
  assert.equal(fs.readlinkSync(path.join(dir, 'main')), 'src/main.py');
  assert.equal(fs.readlinkSync(path.join(dir, 'deep/far')), `${'n'.repeat(120)}.txt`);
  assert.equal(fs.readFileSync(path.join(dir, 'src/up'), 'utf8'), '#!/bin/sh\necho hi\n');
}

describe('readArchive: layout', () => {
  it('strips a single top-level folder, as in GitHub downloads', async () => {
    for (const format of FORMATS) {
      const data = await buffer(writeArchive([
        { path: 'repo-main', type: 'dir' },
        { path: 'repo-main/README.md', type: 'file', body: Buffer.from('hi') },
        { path: 'repo-main/src/app.ts', type: 'file', body: Buffer.from('x') },
        { path: 'repo-main/latest', type: 'link', target: 'src/app.ts' },
      ], format));
      const back = await readArchive(data, format, LIMITS);
      assert.deepEqual(back.map((entry) => entry.path), ['README.md', 'src/app.ts', 'latest'], format);
    }
  });

  it('keeps the top level when there is more than one entry there, or only one file', async () => {
    const two = await tarGz([{ name: 'a/x.txt' }, { name: 'b/y.txt' }]);
    assert.deepEqual((await readArchive(two, 'tar.gz', LIMITS)).map((entry) => entry.path), ['a/x.txt', 'b/y.txt']);
    const one = await tarGz([{ name: 'README.md', body: 'hi' }]);
    assert.deepEqual((await readArchive(one, 'tar.gz', LIMITS)).map((entry) => entry.path), ['README.md']);
  });

  it('strips "./" and skips the root entry of `tar -C dir .`', async () => {
    const data = await tarGz([{ name: './', type: 'directory' }, { name: './a.txt', body: 'a' }, { name: './b/c.txt', body: 'c' }]);
    assert.deepEqual((await readArchive(data, 'tar.gz', LIMITS)).map((entry) => entry.path), ['a.txt', 'b/c.txt']);
  });

  it('skips __MACOSX and AppleDouble files, then strips the top folder', async () => {
    const data = await zipOf((zip) => {
      zip.addBuffer(Buffer.from('a'), 'proj/a.txt');
      zip.addBuffer(Buffer.from('junk'), 'proj/._a.txt');
      zip.addBuffer(Buffer.from('junk'), '__MACOSX/proj/._a.txt');
      zip.addEmptyDirectory('__MACOSX/proj');
    });
    const back = await readArchive(data, 'zip', LIMITS);
    assert.deepEqual(back.map((entry) => entry.path), ['a.txt']);
  });

  it('ignores pax global headers and honours pax path overrides', async () => {
    // Each entry below fits one block, so headers sit at 0, 1024, 2048...: turn some into pax headers.
    const data = await rawTar([
      { name: 'global', body: paxRecord('path', 'hijacked') },
      { name: 'local', body: paxRecord('comment', 'no path here') },
      { name: 'a.txt', body: 'a' },
      { name: 'local', body: paxRecord('path', 'long/renamed.txt') },
      { name: 'b.txt', body: 'b' },
      { name: 'c.txt', body: 'c' },
    ]);
    setTypeflag(data, 0, 'g');
    setTypeflag(data, 1024, 'x');
    setTypeflag(data, 3072, 'x');
    const back = await readArchive(zlib.gzipSync(data), 'tar.gz', LIMITS);
    assert.deepEqual(back.map((entry) => entry.path), ['a.txt', 'long/renamed.txt', 'c.txt']);
  });

  it('merges repeated folders and lets a later file replace an earlier one', async () => {
    const data = await tarGz([
      { name: 'top.txt', body: 'top' },
      { name: 'd/', type: 'directory' }, { name: 'd/f.txt', body: 'old' },
      { name: 'd/', type: 'directory' }, { name: 'd/f.txt', body: 'new' },
    ]);
    assert.deepEqual(summary(await readArchive(data, 'tar.gz', LIMITS)), [
      { path: 'top.txt', type: 'file', mtimeMs: MTIME, executable: false, body: 'top' },
      { path: 'd', type: 'dir', mtimeMs: MTIME, body: undefined },
      { path: 'd/f.txt', type: 'file', mtimeMs: MTIME, executable: false, body: 'new' },
    ]);
  });
});
