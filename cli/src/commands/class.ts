import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import type { ClassDeleted, ClassDetail, ClassLimits, ClassList, ClassStarter, CreateClass } from '@codeyard/common/api/classes';
import { CLASS_ID_PATTERN } from '@codeyard/common/api/classes';
import type { Stack } from '@codeyard/common/api/models';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { ago, table } from '../output.js';
import { resolveRepl } from '../repl-ref.js';
import type { Session } from '../session.js';
import type { Run } from './action.js';
import { classWorkCommands } from './class-work.js';

/** class create, status, delete: a teacher's classes (the work part adds grade and collect here). */
export function classCommands(program: Command, run: Run): void {
  const klass = program.command('class').description('your classes (teachers): create, status, grade, collect');
  klass
    .command('create')
    .description('a class with a repl per student of a roster (CSV with a header row: name, email, student id); prints each student\'s join link (shown only now)')
    .requiredOption('-n, --name <name>', "the class's name")
    .requiredOption('-s, --starter <starter>', 'a stack (node, python…) or one of your repls (id or name) every student starts from')
    .requiredOption('-r, --roster <file>', 'the roster CSV')
    .option('--due <time>', 'when work is due (ISO 8601, e.g. 2026-12-18T17:00:00Z)')
    .option('--memory <MB>', "memory of each student's repl in MB (at least 256, at most the server's own repl limit; default: the server's limit)")
    .option('--always-on', "keep every student's repl always on: one place each of your always-on allowance (refused when they do not all fit)")
    .action(run(create));
  klass.command('status').description("a class's students: joined, repl status, app, last activity, submissions").argument('<class>', 'id or name').action(run(status));
  klass
    .command('delete')
    .alias('rm')
    .description("delete a class (no undo): its links and code stop, the repls nobody joined are deleted; students who joined keep theirs and their submissions")
    .argument('<class>', 'id or name')
    .option('-y, --yes', "delete without asking for the class's name")
    .action(run(remove));
  classWorkCommands(klass, run);
}

/** A class of the caller's, by id or by its unique name among the classes it teaches. */
export async function resolveClass(client: ApiClient, ref: string): Promise<ClassDetail> {
  if (CLASS_ID_PATTERN.test(ref)) return client.json<ClassDetail>('GET', `/api/classes/${ref}`);
  const { teaching } = await client.json<ClassList>('GET', '/api/classes');
  const named = teaching.filter((c) => c.name === ref);
  if (named.length > 1) throw new CliError(EXIT.USAGE, `${named.length} classes are named "${ref}" (${named.map((c) => c.id).join(', ')}): give the id`);
  if (!named[0]) throw new CliError(EXIT.NOT_FOUND, `you teach no class "${ref}" (codeyard class status takes a class id or name)`);
  return client.json<ClassDetail>('GET', `/api/classes/${named[0].id}`);
}

async function starterOf(client: ApiClient, starter: string): Promise<ClassStarter> {
  const stacks = await client.json<Stack[]>('GET', '/api/stacks');
  if (stacks.some((s) => s.id === starter)) return { stack: starter };
  return { repl: (await resolveRepl(client, starter)).id };
}

interface CreateOptions {
  name: string;
  starter: string;
  roster: string;
  due?: string;
  memory?: string;
  alwaysOn?: boolean;
}

/** The limits the options ask for (none given: no `limits`, the server's defaults); a --memory that is no positive whole number is a usage error. */
function limitsOf(options: Pick<CreateOptions, 'memory' | 'alwaysOn'>): ClassLimits | undefined {
  const limits: ClassLimits = {};
  if (options.memory !== undefined) {
    if (!/^[1-9]\d*$/.test(options.memory.trim())) throw new CliError(EXIT.USAGE, `--memory is a whole number of MB more than 0 (e.g. 512), not ${JSON.stringify(options.memory)}`);
    limits.memoryMb = Number(options.memory.trim());
  }
  if (options.alwaysOn) limits.alwaysOn = true;
  return Object.keys(limits).length ? limits : undefined;
}

/** A class's limits in words for a header line: ", 512 MB per student, always on"; '' for the server's defaults. */
function limitsText(limits: ClassLimits | undefined): string {
  return [limits?.memoryMb ? `${limits.memoryMb} MB per student` : '', limits?.alwaysOn ? 'always on' : ''].filter(Boolean).map((w) => `, ${w}`).join('');
}

async function create(session: Session, options: CreateOptions): Promise<void> {
  // Checked before anything is read or sent.
  const limits = limitsOf(options);
  let csv: string;
  try {
    csv = fs.readFileSync(options.roster, 'utf8');
  } catch (err) {
    throw new CliError((err as NodeJS.ErrnoException).code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.USAGE, `${options.roster}: ${(err as Error).message}`);
  }
  const client = session.client();
  const body: CreateClass = { name: options.name, starter: await starterOf(client, options.starter), roster: { csv }, ...(options.due ? { dueAt: options.due } : {}), ...(limits ? { limits } : {}) };
  const detail = await client.json<ClassDetail>('POST', '/api/classes', body);
  session.result(detail, () =>
    [
      `Class ${detail.name} (${detail.id}): ${detail.students.length} students, a repl each${limitsText(detail.limits)}${detail.code ? `; class code ${detail.code}` : ''}.`,
      'Send each student their link (it is shown only now; `class status` shows who joined):',
      table(['NAME', 'EMAIL', 'LINK'], detail.students.map((s) => [s.name, s.email ?? '', s.link ?? ''])),
    ].join('\n'),
  );
}

async function status(session: Session, ref: string): Promise<void> {
  const detail = await resolveClass(session.client(), ref);
  session.result(detail, () => {
    const header = `${detail.name} (${detail.id}): ${detail.joined} of ${detail.students.length} joined${detail.code ? `, code ${detail.code}` : ''}${detail.dueAt ? `, due ${detail.dueAt}` : ''}${limitsText(detail.limits)}`;
    const rows = detail.students.map((s) => [
      s.name,
      s.account ? 'joined' : s.linkActive ? 'invited' : 'no link',
      s.status,
      s.appRunning ? 'running' : '',
      s.lastActivityAt ? ago(s.lastActivityAt) : '',
      s.submittedAt ? `${s.submissions} (${ago(s.submittedAt)})` : String(s.submissions),
      s.grade ? s.grade.status : '',
    ]);
    return `${header}\n${table(['STUDENT', 'JOINED', 'REPL', 'APP', 'ACTIVE', 'SUBMITTED', 'GRADE'], rows)}`;
  });
}

/** The first line of `input` (a confirmation typed or piped), or '' when it ends first. */
async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) return line.trim();
    return '';
  } finally {
    lines.close();
  }
}

async function remove(session: Session, ref: string, options: { yes?: boolean }): Promise<void> {
  const client = session.client();
  const detail = await resolveClass(client, ref);
  if (!options.yes) {
    const unjoined = detail.students.length - detail.joined;
    session.io.stderr.write(`Deleting ${detail.name} (${detail.id}) deletes ${unjoined} repl(s) nobody joined; ${detail.joined} student(s) keep theirs. No undo.\nType the class's name to confirm: `);
    const typed = await firstLine(session.io.stdin);
    if (typed !== detail.name) throw new CliError(EXIT.USAGE, `${typed ? `"${typed}" is not the class's name` : 'no name typed'}: nothing deleted (type ${JSON.stringify(detail.name)}, or give --yes)`);
  }
  const deleted = await client.json<ClassDeleted>('DELETE', `/api/classes/${detail.id}`);
  session.result(deleted, () => `Deleted ${detail.name} (${detail.id}): ${deleted.deletedRepls} repl(s) nobody joined deleted; ${deleted.detachedRepls} student(s) keep theirs.`);
}
