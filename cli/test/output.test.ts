import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CliError, EXIT, exitForCommand, exitForStatus } from '../src/exit-codes.js';
import { ago, appWord, formatBytes, table } from '../src/output.js';
import { Progress } from '../src/progress.js';
import { serverEvents } from '../src/sse.js';

describe('human output', () => {
  it('aligns table columns to the widest cell, the last one unpadded', () => {
    assert.equal(table(['ID', 'NAME', 'STATUS'], [['abc', 'my app', 'running'], ['defghi', 'x', 'stopped']]), 'ID      NAME    STATUS\nabc     my app  running\ndefghi  x       stopped\n');
  });

  it('says sizes, ages and app states in words', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(200 * 1024 * 1024), '200 MiB');
    const now = Date.parse('2026-12-03T12:00:00Z');
    assert.equal(ago('2026-12-03T11:59:30Z', now), 'just now');
    assert.equal(ago('2026-12-03T11:55:00Z', now), '5 min ago');
    assert.equal(ago('2026-12-01T12:00:00Z', now), '2 days ago');
    assert.equal(appWord({ running: true }), 'running');
    assert.equal(appWord({ running: false, exitCode: 1 }), 'exited 1');
    assert.equal(appWord({ running: false, stopped: true, exitCode: 0 }), 'stopped');
    assert.equal(appWord({ running: false }), '-');
  });
});

describe('exit codes', () => {
  it('map HTTP refusals to what they mean', () => {
    const table: [number, number][] = [
      [400, EXIT.USAGE],
      [413, EXIT.USAGE],
      [415, EXIT.USAGE],
      [401, EXIT.AUTH],
      [403, EXIT.AUTH],
      [404, EXIT.NOT_FOUND],
      [409, EXIT.CONFLICT],
      [429, EXIT.BUSY],
      [503, EXIT.BUSY],
      [500, EXIT.ERROR],
      [502, EXIT.ERROR],
    ];
    for (const [status, code] of table) assert.equal(exitForStatus(status), code, String(status));
  });

  it("give exec the command's own status, 124 for a timeout, 128+n for signal n", () => {
    assert.equal(exitForCommand({ exitCode: 0, signal: null, timedOut: false }), 0);
    assert.equal(exitForCommand({ exitCode: 42, signal: null, timedOut: false }), 42);
    assert.equal(exitForCommand({ exitCode: null, signal: 'SIGKILL', timedOut: true }), 124);
    assert.equal(exitForCommand({ exitCode: null, signal: 'SIGTERM', timedOut: false }), 143);
  });
});

describe('the progress line', () => {
  const sink = () => {
    const written: string[] = [];
    return { written, stream: Object.assign({ write: (s: string) => written.push(s) !== 0 }, { isTTY: true, columns: 30 }) as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number } };
  };

  it('rewrites one line in place, cut to the terminal, and clears it when done', () => {
    const { written, stream } = sink();
    let now = 1000;
    const progress = new Progress(stream, true, () => now);
    progress.update('uploading a.zip: 10%');
    progress.update('uploading a.zip: 11%'); // within a tenth of a second: merged
    now += 200;
    progress.update('uploading a.zip: 50% (a long tail that does not fit)');
    progress.done();
    assert.deepEqual(written, ['\ruploading a.zip: 10%\u001b[K', '\ruploading a.zip: 50% (a long \u001b[K', '\r\u001b[K']);
  });

  it('takes a terminal that says 0 columns (a pty nobody sized) as 80 wide', () => {
    const written: string[] = [];
    const stream = Object.assign({ write: (s: string) => written.push(s) !== 0 }, { isTTY: true, columns: 0 }) as unknown as NodeJS.WritableStream;
    new Progress(stream, true).update('x'.repeat(100));
    assert.equal(written[0], `\r${'x'.repeat(79)}\u001b[K`);
  });

  it('writes nothing when disabled (not a terminal, or --json)', () => {
    const { written, stream } = sink();
    const progress = new Progress(stream, false);
    progress.update('x');
    progress.done();
    assert.deepEqual(written, []);
  });
});

describe('server-sent events', () => {
  it('parses events split anywhere across chunks, skipping comments', async () => {
    const text = ': following\n\nevent: output\ndata: {"a":1}\n\n: ping\n\nevent: end\r\ndata: {"reason":"stopped"}\r\n\r\ndata: x\ndata: y\n\n';
    const bytes = Buffer.from(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    const events = [];
    for await (const e of serverEvents(chunks())) events.push(e);
    assert.deepEqual(events, [
      { event: 'output', data: '{"a":1}' },
      { event: 'end', data: '{"reason":"stopped"}' },
      { event: 'message', data: 'x\ny' },
    ]);
  });
});

describe('repl paths and command lines', () => {
  it('refuses `.` and `..` in a repl path (URL parsing would resolve them into another route)', async () => {
    const { filesUrl, parseRemote, shellJoin } = await import('../src/repl-ref.js');
    assert.equal(filesUrl('abcdefghijkm', 'src/a b.js'), '/api/repls/abcdefghijkm/files/src/a%20b.js');
    for (const bad of ['../escape', 'a/../../b', './a', 'a/.']) assert.throws(() => filesUrl('abcdefghijkm', bad), (err: CliError) => err.exitCode === EXIT.USAGE && /without \. or \.\./.test(err.message), bad);
    assert.equal(filesUrl('abcdefghijkm', 'a/..b/.c'), '/api/repls/abcdefghijkm/files/a/..b/.c', 'dots inside names are names');
    assert.deepEqual(parseRemote('web:src/a.js'), { repl: 'web', path: 'src/a.js' });
    assert.deepEqual(parseRemote('web:'), { repl: 'web', path: '' });
    assert.equal(parseRemote('./a:b'), undefined);
    assert.equal(parseRemote('/tmp/x:y'), undefined);
    assert.equal(parseRemote('plain.txt'), undefined);
    assert.equal(shellJoin(['ls -la | wc -l']), 'ls -la | wc -l', 'one word is a command line as it is');
    assert.equal(shellJoin(['echo', 'a b', "it's", '$HOME']), "echo 'a b' 'it'\\''s' '$HOME'");
  });
});
