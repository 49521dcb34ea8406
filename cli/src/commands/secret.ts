import type { Command } from 'commander';
import type { SecretEntry, SecretList } from '@codeyard/common/api/secrets';
import { secretNameProblem } from '@codeyard/common/secrets';
import { CliError, EXIT } from '../exit-codes.js';
import { ago, table } from '../output.js';
import { resolveRepl } from '../repl-ref.js';
import type { Session } from '../session.js';
import type { Run } from './action.js';

/** The longest value read from a pipe (the server's limit is 32 KiB; more is refused there with its own words). */
const STDIN_MAX_BYTES = 64 * 1024;

/** `codeyard secret list|set|rm`: a repl's secrets (environment variables kept in the portal, never in the workspace). */
export function secretCommands(program: Command, run: Run): void {
  const secret = program.command('secret').description("your repls' secrets (environment variables Run, exec and new terminals get; forks and class copies do not): list, set, rm");

  secret
    .command('list')
    .alias('ls')
    .description("a repl's secrets: names and when each was set (values are never shown)")
    .argument('<repl>', 'id or name')
    .action(run(list));

  secret
    .command('set')
    .description('add or replace a secret; the value is read from stdin when piped (one trailing newline dropped), else asked for without echo')
    .argument('<repl>', 'id or name')
    .argument('<NAME>', 'the variable name: letters, digits and _, not starting with a digit')
    .option('--value <value>', 'the value on the command line (it lands in your shell history and is visible to other users in ps: prefer stdin)')
    .action(run(set));

  secret
    .command('rm')
    .description('remove a secret')
    .argument('<repl>', 'id or name')
    .argument('<NAME>', 'the variable name')
    .action(run(remove));
}

async function list(session: Session, ref: string): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const answer = await client.json<SecretList>('GET', `/api/repls/${repl.id}/secrets`);
  session.result(answer, () => {
    if (answer.secrets.length === 0) return `${repl.name} has no secrets (\`codeyard secret set ${repl.name} NAME\` adds one)`;
    const rows = table(['NAME', 'UPDATED'], answer.secrets.map((s) => [s.name, ago(s.updatedAt)]));
    return answer.applied === false ? `${rows}\nThe running repl has not got the latest change yet: restart it or try again.` : rows;
  });
}

async function set(session: Session, ref: string, name: string, options: { value?: string }): Promise<void> {
  const problem = secretNameProblem(name);
  if (problem) throw new CliError(EXIT.USAGE, problem);
  const value = options.value ?? (await readValue(session, name));
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const res = await client.request('PUT', `/api/repls/${repl.id}/secrets/${encodeURIComponent(name)}`, { json: { value } });
  const entry = (await res.json()) as SecretEntry;
  const created = res.status === 201;
  session.result({ ...entry, replId: repl.id, created }, () => `${created ? 'Added' : 'Replaced'} ${name} in ${repl.name}: Run and new terminals get it; a running app at its next Run`);
}

async function remove(session: Session, ref: string, name: string): Promise<void> {
  // A name no secret can have is refused here: never sent as a path (`../..` would leave the route).
  const problem = secretNameProblem(name);
  if (problem) throw new CliError(EXIT.USAGE, problem);
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  await client.request('DELETE', `/api/repls/${repl.id}/secrets/${encodeURIComponent(name)}`);
  session.result({ name, replId: repl.id, removed: true }, () => `Removed ${name} from ${repl.name}`);
}

/** The value from a pipe, or typed at the terminal without echo. */
async function readValue(session: Session, name: string): Promise<string> {
  const stdin = session.io.stdin as NodeJS.ReadStream;
  if (stdin.isTTY) return askHidden(session, stdin, `Value for ${name} (not shown): `);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.from(chunk as Buffer);
    bytes += buffer.length;
    if (bytes > STDIN_MAX_BYTES) throw new CliError(EXIT.USAGE, `the value on stdin is over ${STDIN_MAX_BYTES / 1024} KiB; a secret may have at most 32 KiB`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C stops. */
function askHidden(session: Session, stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  session.io.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      session.io.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return void (done(), resolve(value));
        if (ch === '\u0003') return void (done(), reject(new CliError(EXIT.INTERRUPTED, 'interrupted')));
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
