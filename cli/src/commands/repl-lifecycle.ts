import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { Repl } from '@codeyard/common/api/models';
import type { ApiClient } from '../api-client.js';
import { ago, appWord, table } from '../output.js';
import { resolveRepl } from '../repl-ref.js';
import type { Session } from '../session.js';
import type { Run } from './action.js';

/** ls, create, start, stop, restart, rm, fork, open: a repl's life, as the dashboard offers it. */
export function lifecycleCommands(repl: Command, run: Run): void {
  repl
    .command('ls')
    .alias('list')
    .description("your repls, newest first")
    .option('-q, --quiet', 'only the ids, one a line')
    .action(run(list));

  repl
    .command('create')
    .description('a new repl from a stack (`--stack node`); prints it')
    .requiredOption('-s, --stack <stack>', 'the stack: node, python, react, go, rust, static…')
    .option('-n, --name <name>', 'its name (default: the stack\'s)')
    .option('--start', 'start it too (answers once it runs)')
    .action(run(create));

  repl.command('start').description('start a repl (answers once it runs)').argument('<repl>', 'id or name').action(run(start));
  repl.command('stop').description('stop a repl, its files saved').argument('<repl>', 'id or name').action(run(stop));
  repl
    .command('restart')
    .description('stop a repl (its files saved) and start it again: a fresh VS Code and app; a stopped one is only started')
    .argument('<repl>', 'id or name')
    .action(run(restart));
  repl.command('rm').alias('delete').description('delete a repl and its stored files (no undo)').argument('<repl>', 'id or name').action(run(remove));

  repl
    .command('fork')
    .description('copy a repl (its latest files) into a new one')
    .argument('<repl>', 'id or name')
    .option('-n, --name <name>', "the copy's name (default: \"<name> (fork)\")")
    .action(run(fork));

  repl
    .command('open')
    .description("a one-time link that signs a browser in to the repl's VS Code (or a private preview port); opened when there is a browser")
    .argument('<repl>', 'id or name')
    .option('-p, --port <port>', "a preview port instead of the IDE", (v) => Number(v))
    .option('--no-browser', 'only print the link')
    .action(run(open));
}

/** The human view of one repl: a line with what matters. */
export function replLine(r: Repl): string {
  return `${r.name} (${r.id}): ${r.stack}, ${r.status}${r.app?.running ? ', app running' : ''}${r.queue ? `, #${r.queue.position} of ${r.queue.of} in line` : ''}\n  preview ${r.previewUrl}`;
}

async function list(session: Session, options: { quiet?: boolean }): Promise<void> {
  const repls = await session.client().json<Repl[]>('GET', '/api/repls');
  if (options.quiet && !session.json) {
    session.io.stdout.write(repls.map((r) => `${r.id}\n`).join(''));
    return;
  }
  session.result(repls, () => {
    if (!repls.length) return 'No repls yet: `codeyard repl create --stack node`';
    return table(
      ['ID', 'NAME', 'STACK', 'STATUS', 'APP', 'CREATED'],
      repls.map((r) => [r.id, r.name, r.stack, r.queue ? `waiting #${r.queue.position}` : r.status, appWord(r.app), ago(r.createdAt)]),
    );
  });
}

async function create(session: Session, options: { stack: string; name?: string; start?: boolean }): Promise<void> {
  const client = session.client();
  let repl = await client.json<Repl>('POST', '/api/repls', { stack: options.stack, ...(options.name ? { name: options.name } : {}) });
  if (options.start) repl = await startWithProgress(session, client, repl, () => client.json<Repl>('POST', `/api/repls/${repl.id}/start`));
  session.result(repl, () => replLine(repl));
}

async function start(session: Session, ref: string): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const started = await startWithProgress(session, client, repl, () => client.json<Repl>('POST', `/api/repls/${repl.id}/start`));
  session.result(started, () => replLine(started));
}

async function stop(session: Session, ref: string): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const progress = session.progress();
  progress.update(`stopping ${repl.name}: saving its files…`);
  const stopped = await client.json<Repl>('POST', `/api/repls/${repl.id}/stop`).finally(() => progress.done());
  session.result(stopped, () => replLine(stopped));
}

/** Stop then start: what a user does when VS Code or the sandbox got into a bad state. */
async function restart(session: Session, ref: string): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  if (repl.status !== 'stopped') {
    const progress = session.progress();
    progress.update(`restarting ${repl.name}: saving its files and stopping it…`);
    await client.json<Repl>('POST', `/api/repls/${repl.id}/stop`).finally(() => progress.done());
  }
  const started = await startWithProgress(session, client, repl, () => client.json<Repl>('POST', `/api/repls/${repl.id}/start`));
  session.result(started, () => replLine(started));
}

async function remove(session: Session, ref: string): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  await client.request('DELETE', `/api/repls/${repl.id}`);
  session.result({ id: repl.id, deleted: true }, () => `Deleted ${repl.name} (${repl.id}).`);
}

async function fork(session: Session, ref: string, options: { name?: string }): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const copy = await client.json<Repl>('POST', `/api/repls/${repl.id}/fork`, options.name ? { name: options.name } : {});
  session.result(copy, () => replLine(copy));
}

async function open(session: Session, ref: string, options: { port?: number; browser: boolean }): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const { url } = await client.json<{ url: string }>('POST', `/api/repls/${repl.id}/ide-link`, options.port === undefined ? {} : { port: options.port });
  const opened = options.browser && !session.json && (await session.io.openUrl(url));
  session.result({ id: repl.id, url, opened }, () => (opened ? `Opened ${repl.name} in your browser (the link works once, for a minute):\n${url}` : `${url}\n(works once, for a minute)`));
}

/**
 * Runs a start call and, while it is under way, shows where the repl is (its start step, or
 * its place in line on a full server), read every second from the repl itself.
 */
export async function startWithProgress<T>(session: Session, client: ApiClient, repl: Repl, call: () => Promise<T>): Promise<T> {
  const progress = session.progress();
  if (!progress.enabled) return call();
  progress.update(`starting ${repl.name}…`);
  const done = new AbortController();
  void (async () => {
    // Bounded by the call: it ends when the start answers (at most the server's own timeouts).
    while (!done.signal.aborted) {
      await sleep(1000, undefined, { signal: done.signal }).catch(() => undefined);
      const now = done.signal.aborted ? undefined : await client.json<Repl>('GET', `/api/repls/${repl.id}`).catch(() => undefined);
      // An answer that comes after the start's is dropped: the line is cleared by then.
      if (!now || done.signal.aborted) continue;
      progress.update(now.queue ? `${repl.name}: the server is full, #${now.queue.position} of ${now.queue.of} in line…` : `starting ${repl.name}: ${now.step ?? now.status}…`);
    }
  })();
  try {
    return await call();
  } finally {
    done.abort();
    progress.done();
  }
}
