import type { Command } from 'commander';
import type { AppState, ExecResult, LogEnd, LogFrame, Repl } from '@codeyard/common/api/models';
import { EXEC_MAX_TIMEOUT_MS } from '@codeyard/common/agent/protocol';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT, exitForCommand } from '../exit-codes.js';
import { appWord } from '../output.js';
import { resolveRepl, shellJoin } from '../repl-ref.js';
import type { Session } from '../session.js';
import { serverEvents } from '../sse.js';
import type { Run } from './action.js';
import { startWithProgress } from './repl-lifecycle.js';

/** run, stop-app, logs, exec: the repl's app and one-off commands. */
export function runCommands(repl: Command, run: Run): void {
  repl
    .command('run')
    .description("Run: start the repl's app (and the repl, when it is stopped)")
    .argument('<repl>', 'id or name')
    .option('-f, --follow', "then follow the app's output until Ctrl-C")
    .action(run(runApp));

  repl.command('stop-app').description('stop the app (the repl keeps running)').argument('<repl>', 'id or name').action(run(stopApp));

  repl
    .command('logs')
    .description("the app's output (what the repl still holds); -f follows it live until Ctrl-C or the repl stops")
    .argument('<repl>', 'id or name')
    .option('-f, --follow', 'keep following the output')
    .action(run(logs));

  repl
    .command('exec')
    .description("run a shell command in the running repl's workspace; exits with the command's status (124 when it timed out). Output is kept up to 1 MiB.")
    .argument('<repl>', 'id or name')
    .argument('<command...>', 'the command: one quoted string, or words after -- (quoted for the shell as needed)')
    .option('-t, --timeout <seconds>', `how long it may run (at most ${EXEC_MAX_TIMEOUT_MS / 60_000} min)`, (v) => Number(v), 30)
    .action(run(exec));
}

async function runApp(session: Session, ref: string, options: { follow?: boolean }): Promise<number | void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const app = await startWithProgress(session, client, repl, () => client.json<AppState>('POST', `/api/repls/${repl.id}/app/start`));
  if (options.follow) {
    session.say(`${repl.name}: the app is ${appWord(app)}; following its output (Ctrl-C to stop following, the app keeps running)`);
    return follow(session, client, repl.id);
  }
  session.result(app, () => `${repl.name}: app ${appWord(app)}${app.command ? ` (${app.command})` : ''}\n  preview ${repl.previewUrl}`);
}

async function stopApp(session: Session, ref: string): Promise<void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const app = await client.json<AppState>('POST', `/api/repls/${repl.id}/app/stop`);
  session.result(app, () => `${repl.name}: app ${appWord(app)}`);
}

/** Says how to start a repl that must run for the command, in the CLI's words rather than the API's. */
function whenStopped(repl: Repl): (err: unknown) => never {
  return (err) => {
    if (err instanceof CliError && err.code === 'NOT_RUNNING') throw new CliError(EXIT.CONFLICT, `${repl.name} (${repl.id}) is not running: \`codeyard repl start ${repl.id}\` (or \`repl run\`) first`, err.code);
    throw err;
  };
}

async function logs(session: Session, ref: string, options: { follow?: boolean }): Promise<number | void> {
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  if (options.follow) return follow(session, client, repl.id).catch(whenStopped(repl));
  const res = await client.request('GET', `/api/repls/${repl.id}/app/logs`, { headers: { accept: 'text/plain' } }).catch(whenStopped(repl));
  const text = await res.text();
  if (session.json) session.result({ id: repl.id, text }, () => undefined);
  else session.io.stdout.write(text);
}

/**
 * Follows the app's output (server-sent events) to stdout, as it was written. With --json,
 * one JSON object a line: the frames (`output`, `state`), then `{ type: 'end', reason }`.
 * Ctrl-C is the normal way out (exit 0); the repl stopping ends it too.
 */
async function follow(session: Session, client: ApiClient, replId: string): Promise<number> {
  const { io } = session;
  const abort = new AbortController();
  const onInterrupt = (): void => abort.abort();
  io.interrupt.addEventListener('abort', onInterrupt, { once: true });
  try {
    const res = await client.request('GET', `/api/repls/${replId}/app/logs?follow=true`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    if (!res.body) throw new CliError(EXIT.ERROR, 'the server sent no log stream');
    for await (const event of serverEvents(res.body)) {
      if (event.event === 'end') {
        const end = JSON.parse(event.data) as LogEnd;
        if (session.json) io.stdout.write(`${JSON.stringify({ type: 'end', reason: end.reason })}\n`);
        else io.stderr.write(`codeyard: ${end.reason}\n`);
        return EXIT.OK;
      }
      if (event.event !== 'output' && event.event !== 'state') continue;
      const frame = JSON.parse(event.data) as LogFrame;
      if (session.json) io.stdout.write(`${JSON.stringify(frame)}\n`);
      else if (frame.type === 'output') io.stdout.write(frame.data);
    }
    throw new CliError(EXIT.ERROR, 'the log stream ended without saying why (the server went away?)');
  } catch (err) {
    if (abort.signal.aborted) return EXIT.OK;
    throw err;
  } finally {
    io.interrupt.removeEventListener('abort', onInterrupt);
  }
}

async function exec(session: Session, ref: string, words: string[], options: { timeout: number }): Promise<number> {
  if (!Number.isFinite(options.timeout) || options.timeout <= 0 || options.timeout * 1000 > EXEC_MAX_TIMEOUT_MS) {
    throw new CliError(EXIT.USAGE, `--timeout is in seconds, more than 0 and at most ${EXEC_MAX_TIMEOUT_MS / 1000}`);
  }
  const client = session.client();
  const repl = await resolveRepl(client, ref);
  const command = shellJoin(words);
  const result = await client.json<ExecResult>('POST', `/api/repls/${repl.id}/exec`, { command, timeoutMs: Math.round(options.timeout * 1000) }).catch(whenStopped(repl));
  if (session.json) session.result(result, () => undefined);
  else {
    session.io.stdout.write(result.stdout);
    session.io.stderr.write(result.stderr);
    if (result.truncated) session.warn('the output was cut at 1 MiB');
    if (result.timedOut) session.warn(`the command ran past ${options.timeout} s and was stopped`);
  }
  return exitForCommand(result);
}
