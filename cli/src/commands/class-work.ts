import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { ClassDetail, GradeRun } from '@codeyard/common/api/classes';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, table } from '../output.js';
import type { Session } from '../session.js';
import type { Run } from './action.js';
import { resolveClass } from './class.js';

/** How often `class grade --wait` asks how the run is going, and for how long at most. */
const POLL_MS = 2000;
const WAIT_MAX_MS = 2 * 3600_000;

/** class grade, class collect: the work part's commands beside create and status. */
export function classWorkCommands(klass: Command, run: Run): void {
  klass
    .command('grade')
    .description("autograde: run a command (default: the starter's tests, e.g. npm test) in every student's repl, a few at a time; exit code 0 passes")
    .argument('<class>', 'id or name')
    .option('-c, --command <command>', 'the command to run in each repl')
    .option('--wait', 'wait for every result and print the table')
    .action(run(grade));
  klass
    .command('collect')
    .description('download one archive of the class, a folder per student: every workspace now, or each newest submission')
    .argument('<class>', 'id or name')
    .option('--submissions', "each student's newest submission instead of their workspace")
    .option('-o, --output <file>', 'where to write it (default: the name the server gives)')
    .option('--format <format>', 'zip or tar.gz', 'zip')
    .option('--force', 'overwrite the file if it exists')
    .action(run(collect));
}

async function grade(session: Session, ref: string, options: { command?: string; wait?: boolean }): Promise<void> {
  const client = session.client();
  const klass = await resolveClass(client, ref);
  let graded = await client.json<GradeRun>('POST', `/api/classes/${klass.id}/grade`, options.command ? { command: options.command } : {});
  if (options.wait) {
    const progress = session.progress();
    try {
      for (const until = Date.now() + WAIT_MAX_MS; !graded.finishedAt && Date.now() < until; ) {
        const done = graded.results.filter((r) => !['queued', 'running'].includes(r.status)).length;
        progress.update(`grading ${klass.name}: ${done} of ${graded.results.length} done`);
        await session.io.sleep(POLL_MS);
        graded = await client.json<GradeRun>('GET', `/api/classes/${klass.id}/grade/${graded.id}`);
      }
    } finally {
      progress.done();
    }
  }
  const run = graded;
  session.result(run, () => {
    const head = `Grade run ${run.id} of ${klass.name}: \`${run.command}\` in ${run.results.length} repls`;
    if (!options.wait) return `${head}, queued. \`codeyard class status ${klass.id}\` shows the results as they come (or grade with --wait).`;
    const counts = ['pass', 'fail', 'error'].map((s) => `${run.results.filter((r) => r.status === s).length} ${s}`).join(', ');
    return `${head}: ${counts}\n${table(['STUDENT', 'RESULT', 'EXIT', 'LAST LINE'], rowsOf(klass, run))}`;
  });
}

function rowsOf(klass: ClassDetail, run: GradeRun): string[][] {
  const names = new Map(klass.students.map((s) => [s.id, s.name]));
  return run.results.map((r) => [names.get(r.studentId) ?? r.studentId, r.status, r.exitCode === undefined || r.exitCode === null ? '' : String(r.exitCode), (r.output ?? '').trim().split('\n').at(-1)?.slice(0, 60) ?? '']);
}

async function collect(session: Session, ref: string, options: { submissions?: boolean; output?: string; format: string; force?: boolean }): Promise<void> {
  if (options.format !== 'tar.gz' && options.format !== 'zip') throw new CliError(EXIT.USAGE, `--format is zip or tar.gz, not ${options.format}`);
  const client = session.client();
  const klass = await resolveClass(client, ref);
  const what = options.submissions ? 'submissions' : 'workspaces';
  const res = await client.request('GET', `/api/classes/${klass.id}/collect?what=${what}&format=${options.format}`, { headers: { accept: '*/*' } });
  const named = /filename="([^"/\\]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  const file = options.output ?? named ?? `${klass.id}-${what}.${options.format}`;
  if (!options.force && fs.existsSync(file)) throw new CliError(EXIT.USAGE, `${file} exists: give another --output, or --force to overwrite it`);
  const progress = session.progress();
  let bytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          progress.update(`collecting ${klass.name}: ${formatBytes(bytes)}`);
          done(null, chunk);
        },
      }),
      fs.createWriteStream(file, { flags: options.force ? 'w' : 'wx' }),
    );
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw err instanceof CliError ? err : new CliError(EXIT.ERROR, `collecting ${klass.name} failed: ${(err as Error).message}`);
  } finally {
    progress.done();
  }
  session.result({ id: klass.id, what, file, bytes, format: options.format }, () => `${klass.name}: ${klass.students.length} students' ${what} → ${file} (${formatBytes(bytes)})`);
}
