import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import yazl from 'yazl';
import { MTIME, tarGz } from '../helpers/archives.js';
import { AppError, type ErrorCode } from '@codeyard/common/errors';
import {
  detectArchiveFormat,
  readArchive,
  writeArchive,
  type ArchiveEntry,
  type ArchiveFormat,
  type ArchiveLimits,
} from '../../src/archive/archive.js';

const MB = 1024 * 1024;
const LIMITS: ArchiveLimits = { maxEntries: 10_000, maxTotalBytes: 50 * MB, maxFileBytes: 10 * MB };
const FORMATS: ArchiveFormat[] = ['tar.gz', 'zip'];

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

/** Asserts readArchive() refuses with `code`, in a message naming `entry`. */
async function refuses(data: Buffer, format: ArchiveFormat, code: ErrorCode, entry: string, limits = LIMITS): Promise<AppError> {
  let caught: unknown;
  await assert.rejects(readArchive(data, format, limits), (err) => ((caught = err), true));
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  const named = caught.message.includes(entry) || caught.message.includes(JSON.stringify(entry));
  assert.ok(named, `message should name ${JSON.stringify(entry)}: ${caught.message}`);
  return caught;
}

/** A tar.gz made with tar-stream directly, so it can hold anything (`../evil`, devices, hard links). */
/** Plain (uncompressed) tar bytes, for patching headers before gzipping. */
async function rawTar(entries: Array<Partial<Header> & { name: string; body?: string }>): Promise<Buffer> {
  return zlib.gunzipSync(await tarGz(entries));
}

/** Rewrites the typeflag of the tar header at `offset` and fixes its checksum. */
function setTypeflag(data: Buffer, offset: number, flag: string): void {
  data.write(flag, offset + 156, 'latin1');
  data.fill(' ', offset + 148, offset + 156);
  let sum = 0;
  for (let i = offset; i < offset + 512; i++) sum += data[i];
  data.write(`${sum.toString(8).padStart(6, '0')}\0 `, offset + 148, 'latin1');
}

/**
 * A zip made with yazl. yazl refuses unsafe names, so build with same-length placeholders and
 * patch the bytes afterwards (names are not covered by the CRC).
 */
async function zipOf(add: (zip: yazl.ZipFile) => void, rename: Record<string, string> = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  const data = await buffer(zip.outputStream as Readable);
  for (const [from, to] of Object.entries(rename)) {
    assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
    for (let at = data.indexOf(from); at !== -1; at = data.indexOf(from, at + 1)) data.write(to, at);
  }
  return data;
}

/** One pax extended-header record: "<length> <key>=<value>\\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest) + 1;
  while (String(length).length + Buffer.byteLength(rest) !== length) length++;
  return `${length}${rest}`;
}

async function* zeros(size: number): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(MB);
  for (let n = 0; n < size; n += MB) yield chunk;
}

/** A tar.gz holding one file of `size` zero bytes, built by streaming: ~1000:1, so 200 MB is ~200 KB. */
async function tarGzBomb(size: number): Promise<Buffer> {
  const pack = tar.pack();
  const out = buffer(pack.pipe(zlib.createGzip({ level: 9 })));
  const sink = pack.entry({ name: 'bomb.bin', size, mtime: new Date(MTIME) });
  for await (const chunk of zeros(size)) if (!sink.write(chunk)) await once(sink, 'drain');
  sink.end(null);
  pack.finalize();
  return out;
}

/**
 * Runs `read` and asserts that neither the resident set nor live Buffer memory grew by `limit`
 * at the peak. rss alone can hide growth when earlier tests left freed pages behind.
 */
async function assertMemoryGrowthBelow(limit: number, read: () => Promise<unknown>): Promise<void> {
  const sample = () => {
    const { rss, arrayBuffers } = process.memoryUsage();
    return { rss, buffers: arrayBuffers };
  };
  const before = sample();
  const peak = { ...before };
  const update = () => {
    const now = sample();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.buffers = Math.max(peak.buffers, now.buffers);
  };
  const timer = setInterval(update, 2);
  try {
    await read();
  } finally {
    clearInterval(timer);
    update();
  }
  for (const key of ['rss', 'buffers'] as const) {
    const growth = peak[key] - before[key];
    assert.ok(growth < limit, `${key} grew by ${Math.round(growth / MB)} MB`);
  }
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

describe('readArchive: unsafe tar entries', () => {
  for (const name of ['../evil', '/etc/passwd', 'a/../../x', 'C:\\Windows\\win.ini', '..\\evil', 'a/./b']) {
    it(`refuses ${JSON.stringify(name)}`, async () => {
      await refuses(await tarGz([{ name: 'ok.txt' }, { name, body: 'x' }]), 'tar.gz', 'UNSAFE_ARCHIVE', name);
    });
  }

  it('refuses symlinks to absolute paths or out of the root', async () => {
    for (const [name, linkname] of [['l', '../../etc'], ['l', '/etc'], ['sub/l', '../../x'], ['l', 'C:\\x']]) {
      const data = await tarGz([{ name: 'sub/', type: 'directory' }, { name, type: 'symlink', linkname }]);
      await refuses(data, 'tar.gz', 'UNSAFE_ARCHIVE', name);
    }
  });

  it('resolves link targets through other links, as the kernel would', async () => {
    const inside = await tarGz([{ name: 'a/l', type: 'symlink', linkname: '..' }, { name: 'b', type: 'symlink', linkname: 'a/l/x' }]);
    assert.equal((await readArchive(inside, 'tar.gz', LIMITS)).length, 2);
    // a/l is the root, so a/l/.. is the root's parent: outside, though it looks like "a".
    const outside = await tarGz([{ name: 'a/l', type: 'symlink', linkname: '..' }, { name: 'm', type: 'symlink', linkname: 'a/l/../etc' }]);
    await refuses(outside, 'tar.gz', 'UNSAFE_ARCHIVE', 'm');
    const loop = await tarGz([{ name: 'x', type: 'symlink', linkname: 'y/z' }, { name: 'y', type: 'symlink', linkname: 'x/z' }]);
    await refuses(loop, 'tar.gz', 'UNSAFE_ARCHIVE', 'x');
  });

  it('refuses entries stored through a symlink or a file', async () => {
    const viaLink = await tarGz([{ name: 'l', type: 'symlink', linkname: 'sub' }, { name: 'l/evil.txt', body: 'x' }]);
    await refuses(viaLink, 'tar.gz', 'UNSAFE_ARCHIVE', 'l/evil.txt');
    const fileThenDir = await tarGz([{ name: 'a', body: 'x' }, { name: 'a/', type: 'directory' }]);
    await refuses(fileThenDir, 'tar.gz', 'UNSAFE_ARCHIVE', 'a/');
  });

  it('refuses hard links, devices and fifos', async () => {
    const cases: Array<[string, Header['type']]> = [['hard', 'link'], ['tty', 'character-device'], ['disk', 'block-device'], ['pipe', 'fifo']];
    for (const [name, type] of cases) {
      const data = await tarGz([{ name: 'target.txt', body: 'x' }, { name, type, linkname: type === 'link' ? 'target.txt' : undefined }]);
      await refuses(data, 'tar.gz', 'UNSAFE_ARCHIVE', name);
    }
  });

  it('refuses unknown entry types (GNU sparse "S")', async () => {
    const data = await rawTar([{ name: 'sparse.bin', body: 'x' }]);
    setTypeflag(data, 0, 'S');
    await refuses(zlib.gzipSync(data), 'tar.gz', 'UNSAFE_ARCHIVE', 'sparse.bin');
  });
});

describe('readArchive: unsafe zip entries', () => {
  it('refuses "..", absolute and backslash names', async () => {
    const cases: Array<[string, string, string]> = [
      ['XX/evil', '../evil', '../evil'],
      ['Xetc/passwd', '/etc/passwd', '/etc/passwd'],
      ['a/XX/XX/x', 'a/../../x', 'a/../../x'],
      ['XXXevil', '..\\evil', '../evil'], // yauzl turns backslashes into slashes first
      ['XXwin.ini', 'C:win.ini', 'C:win.ini'],
    ];
    for (const [placeholder, name, shown] of cases) {
      const data = await zipOf((zip) => zip.addBuffer(Buffer.from('x'), placeholder), { [placeholder]: name });
      await refuses(data, 'zip', 'UNSAFE_ARCHIVE', shown);
    }
  });

  it('refuses symlinks out of the root, and special files', async () => {
    const link = (target: string) => zipOf((zip) => {
      zip.addBuffer(Buffer.from('hi'), 'README.md'); // a second top-level entry: no folder stripping
      zip.addBuffer(Buffer.from(target), 'src/l', { mode: 0o120777, compress: false });
    });
    await refuses(await link('../../etc'), 'zip', 'UNSAFE_ARCHIVE', 'src/l');
    await refuses(await link('/etc'), 'zip', 'UNSAFE_ARCHIVE', 'src/l');
    assert.equal((await readArchive(await link('../x'), 'zip', LIMITS))[1].target, '../x');
    const device = await zipOf((zip) => zip.addBuffer(Buffer.alloc(0), 'tty', { mode: 0o020644 }));
    await refuses(device, 'zip', 'UNSAFE_ARCHIVE', 'tty');
  });

  it('refuses a name that is both a file and a folder', async () => {
    const data = await zipOf((zip) => {
      zip.addBuffer(Buffer.from('x'), 'a');
      zip.addEmptyDirectory('a');
    });
    await refuses(data, 'zip', 'UNSAFE_ARCHIVE', 'a/');
  });
});

describe('readArchive: limits', () => {
  it('refuses entry 10,001 of a 10,000-entry limit, and accepts 10,000', async () => {
    const files = Array.from({ length: 10_001 }, (_, i) => ({ name: `f/${i}.txt`, body: 'x' }));
    await refuses(await tarGz(files), 'tar.gz', 'ARCHIVE_TOO_LARGE', 'f/10000.txt');
    assert.equal((await readArchive(await tarGz(files.slice(0, 10_000)), 'tar.gz', LIMITS)).length, 10_000);
  });

  it('refuses a file over maxFileBytes, naming it', async () => {
    for (const format of FORMATS) {
      const big = [{ path: 'big.bin', type: 'file' as const, body: Buffer.alloc(2 * MB) }];
      await refuses(await buffer(writeArchive(big, format)), format, 'ARCHIVE_TOO_LARGE', 'big.bin', { ...LIMITS, maxFileBytes: MB });
    }
  });

  it('stops a gzip bomb (200 MB of zeros) at 50 MB without ballooning memory', async () => {
    const bomb = await tarGzBomb(200 * MB);
    assert.ok(bomb.length < 1 * MB, `the bomb is small: ${bomb.length} bytes`);
    const started = Date.now();
    const limits = { ...LIMITS, maxFileBytes: 500 * MB };
    await assertMemoryGrowthBelow(100 * MB, () => refuses(bomb, 'tar.gz', 'ARCHIVE_TOO_LARGE', 'bomb.bin', limits));
    assert.ok(Date.now() - started < 5000, `refused in ${Date.now() - started} ms`);
  });

  it('stops a gzip of bare zeros (no tar entries) within a megabyte or two', async () => {
    const bomb = await buffer(Readable.from(zeros(200 * MB)).pipe(zlib.createGzip({ level: 9 })));
    await assertMemoryGrowthBelow(20 * MB, () => refuses(bomb, 'tar.gz', 'ARCHIVE_TOO_LARGE', 'before its first entry'));
  });

  it('stops a zip bomb while inflating, even when its declared size is allowed', async () => {
    const bomb = await zipOf((zip) => zip.addReadStream(Readable.from(zeros(200 * MB)), 'bomb.bin', { compressionLevel: 9 }));
    assert.ok(bomb.length < 1 * MB, `the bomb is small: ${bomb.length} bytes`);
    const limits = { ...LIMITS, maxFileBytes: 500 * MB };
    await assertMemoryGrowthBelow(100 * MB, () => refuses(bomb, 'zip', 'ARCHIVE_TOO_LARGE', 'bomb.bin', limits));
    // Declaring a small size does not help: the real bytes are checked against it.
    const central = bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(1000, central + 24);
    await refuses(bomb, 'zip', 'INVALID_ARCHIVE', 'bomb.bin');
  });
});

describe('readArchive: broken archives', () => {
  it('refuses a truncated tar.gz, naming the entry it stopped in', async () => {
    const data = await buffer(writeArchive([
      { path: 'a.txt', type: 'file', body: Buffer.from('a') },
      { path: 'noise.bin', type: 'file', body: Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(Math.random() * 256))) },
    ], 'tar.gz'));
    await refuses(data.subarray(0, data.length / 2), 'tar.gz', 'INVALID_ARCHIVE', 'noise.bin');
  });

  it('refuses a truncated zip, and a zip whose data is corrupt', async () => {
    const data = await buffer(writeArchive([{ path: 'a.txt', type: 'file', body: Buffer.alloc(4096, 'a') }], 'zip'));
    await refuses(data.subarray(0, data.length - 30), 'zip', 'INVALID_ARCHIVE', 'corrupt or truncated');
    const corrupt = Buffer.from(data);
    const start = 30 + data.readUInt16LE(26) + data.readUInt16LE(28); // after the local header, name and extra field
    corrupt.fill(0xff, start, start + 8); // a deflate block of the reserved type
    await refuses(corrupt, 'zip', 'INVALID_ARCHIVE', 'a.txt');
  });

  it('refuses a gzip that does not hold a tar', async () => {
    await refuses(zlib.gzipSync('just some text, not a tar file at all'.repeat(20)), 'tar.gz', 'INVALID_ARCHIVE', 'before its first entry');
  });
});
