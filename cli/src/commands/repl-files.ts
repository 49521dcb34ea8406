import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Repl } from '@codeyard/common/api/models';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes } from '../output.js';
import type { Progress } from '../progress.js';
import { filesUrl, parseRemote, resolveRepl } from '../repl-ref.js';
import type { Session } from '../session.js';
import type { Run } from './action.js';
import { replLine } from './repl-lifecycle.js';

/** cp, archive, import: files in and out of repls. */
export function fileCommands(repl: Command, run: Run): void {
  repl
    .command('cp')
    .description('copy one file into a repl or out of one: `cp ./a.js myrepl:src/a.js`, `cp myrepl:out.txt .` (`-` is stdin or stdout; a path ending in / is a folder)')
    .argument('<from>', 'a local path, or repl:path')
    .argument('<to>', 'a local path, or repl:path')
    .action(run(copy));

  repl
    .command('archive')
    .description("download a repl's files as .tar.gz (or .zip)")
    .argument('<repl>', 'id or name')
    .option('-o, --output <file>', 'where to write it (`-`: stdout); default <name>.<format> here')
    .option('--format <format>', 'tar.gz or zip', 'tar.gz')
    .option('--force', 'overwrite the output file if it exists')
    .action(run(archive));

  repl
    .command('import')
    .description('a new repl from a .tar.gz or .zip (GitHub\'s "Download ZIP" works: its top folder is taken off)')
    .argument('<file>', 'the archive')
    .requiredOption('-s, --stack <stack>', 'the stack it runs on')
    .option('-n, --name <name>', 'its name')
    .action(run(importArchive));
}

async function copy(session: Session, from: string, to: string): Promise<void> {
  const source = parseRemote(from);
  const target = parseRemote(to);
  if (Boolean(source) === Boolean(target)) throw new CliError(EXIT.USAGE, 'give one local path and one repl:path (e.g. `codeyard repl cp ./notes.txt myrepl:notes.txt`)');
  const client = session.client();
  if (target) {
    const repl = await resolveRepl(client, target.repl);
    if (from === '-' && (target.path === '' || target.path.endsWith('/'))) throw new CliError(EXIT.USAGE, 'from stdin, name the file in the repl (repl:path/name)');
    const remotePath = target.path === '' || target.path.endsWith('/') ? `${target.path}${path.basename(from)}` : target.path;
    const bytes = from === '-' ? await readAll(session.io.stdin) : readLocal(from);
    const res = await client.request('PUT', filesUrl(repl.id, remotePath), { body: new Uint8Array(bytes), headers: { 'content-type': 'application/octet-stream' } });
    const created = res.status === 201;
    session.result({ id: repl.id, path: remotePath, bytes: bytes.length, created }, () => `${from} → ${repl.name}:${remotePath} (${formatBytes(bytes.length)}${created ? ', new' : ''})`);
    return;
  }
  const remote = source!;
  if (remote.path === '' || remote.path.endsWith('/')) throw new CliError(EXIT.USAGE, `${from} names a folder: cp copies one file (\`codeyard repl archive\` downloads them all)`);
  const repl = await resolveRepl(client, remote.repl);
  const bytes = Buffer.from(await (await client.request('GET', filesUrl(repl.id, remote.path), { headers: { accept: 'application/octet-stream' } })).arrayBuffer());
  if (to === '-') {
    session.io.stdout.write(bytes);
    return;
  }
  const local = isFolder(to) ? path.join(to, path.posix.basename(remote.path)) : to;
  try {
    fs.writeFileSync(local, bytes);
  } catch (err) {
    throw new CliError(EXIT.ERROR, `cannot write ${local}: ${(err as Error).message}`);
  }
  session.result({ id: repl.id, path: remote.path, file: local, bytes: bytes.length }, () => `${repl.name}:${remote.path} → ${local} (${formatBytes(bytes.length)})`);
}

async function archive(session: Session, ref: string, options: { output?: string; format: string; force?: boolean }): Promise<void> {
  if (options.format !== 'tar.gz' && options.format !== 'zip') throw new CliError(EXIT.USAGE, `--format is tar.gz or zip, not ${options.format}`);
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const res = await client.request('GET', `/api/repls/${repl.id}/archive?format=${options.format}`, { headers: { accept: '*/*' } });
  const named = /filename="([^"/\\]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  const file = options.output ?? named ?? `${repl.id}.${options.format}`;
  const toStdout = file === '-';
  if (!toStdout && !options.force && fs.existsSync(file)) throw new CliError(EXIT.USAGE, `${file} exists: give another --output, or --force to overwrite it`);
  const total = Number(res.headers.get('content-length')) || undefined;
  const progress = session.progress();
  let bytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>),
      counter((n) => {
        bytes += n;
        showTransfer(progress, `downloading ${toStdout ? repl.name : file}`, bytes, total);
      }),
      toStdout ? session.io.stdout : fs.createWriteStream(file, { flags: options.force ? 'w' : 'wx' }),
      toStdout ? { end: false } : {},
    );
  } catch (err) {
    if (!toStdout) fs.rmSync(file, { force: true });
    throw err instanceof CliError ? err : new CliError(EXIT.ERROR, `the download of ${repl.name} failed: ${(err as Error).message}`);
  } finally {
    progress.done();
  }
  if (!toStdout) session.result({ id: repl.id, file, bytes, format: options.format }, () => `${repl.name} → ${file} (${formatBytes(bytes)})`);
}

const IMPORT_TYPES: Record<string, string> = { '.zip': 'application/zip', '.gz': 'application/gzip', '.tgz': 'application/gzip' };

async function importArchive(session: Session, file: string, options: { stack: string; name?: string }): Promise<void> {
  const size = fs.statSync(file, { throwIfNoEntry: false });
  if (!size?.isFile()) throw new CliError(EXIT.USAGE, `${file} is not a file`);
  const client = session.client();
  const progress = session.progress();
  let sent = 0;
  const stream = fs.createReadStream(file).pipe(
    counter((n) => {
      sent += n;
      showTransfer(progress, `uploading ${path.basename(file)}`, sent, size.size);
    }),
  );
  const query = new URLSearchParams({ stack: options.stack, ...(options.name ? { name: options.name } : {}) });
  const type = IMPORT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const repl = await client
    .request('POST', `/api/repls/import?${query}`, {
      body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
      headers: { 'content-type': type, 'content-length': String(size.size) },
    })
    .then((res) => res.json() as Promise<Repl>)
    .finally(() => progress.done());
  session.result(repl, () => replLine(repl));
}

function showTransfer(progress: Progress, what: string, bytes: number, total?: number): void {
  progress.update(total ? `${what}: ${Math.floor((bytes / total) * 100)}% (${formatBytes(bytes)} of ${formatBytes(total)})` : `${what}: ${formatBytes(bytes)}`);
}

/** A pass-through that reports each chunk's size. */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

function readLocal(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(EXIT.NOT_FOUND, `${file}: no such file`);
    if (code === 'EISDIR') throw new CliError(EXIT.USAGE, `${file} is a folder: cp copies one file (\`codeyard repl import\` makes a repl from an archive)`);
    throw new CliError(EXIT.ERROR, `cannot read ${file}: ${(err as Error).message}`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function isFolder(local: string): boolean {
  return local.endsWith('/') || fs.statSync(local, { throwIfNoEntry: false })?.isDirectory() === true;
}
