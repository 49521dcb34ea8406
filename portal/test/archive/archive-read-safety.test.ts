import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';
import { readArchive, writeArchive } from '../../src/archive/archive.js';
import { FORMATS, LIMITS, MB, MTIME, rawTar, refuses, setTypeflag, tarGz, zipOf } from '../helpers/archives.js';

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
