import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { completionScript } from '../src/completion.js';
import { EXIT } from '../src/exit-codes.js';
import { buildProgram } from '../src/program.js';
import { ApiDouble, replOf } from './helpers/api-double.js';
import { runWith, tempHome } from './helpers/run-cli.js';

const ID = 'abcdefghijkm';

/** The long-running commands against the API double: logs -f, archive, import, start, and completion. */
describe('streams, transfers and completion (against the API double)', () => {
  let api: ApiDouble;
  const home = tempHome();
  let env: NodeJS.ProcessEnv;

  before(async () => {
    api = await new ApiDouble().start();
    env = { XDG_CONFIG_HOME: home, CODEYARD_SERVER: api.url, CODEYARD_TOKEN: 'cy_test' };
    api.json(`GET /api/repls/${ID}`, 200, replOf(ID, 'web app', { status: 'running', step: 'restoring files' }));
  });
  after(async () => {
    await api.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const sse = (events: string[]) => (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`: following\n\n${events.join('')}`);
  };
  const output = (data: string) => `event: output\ndata: ${JSON.stringify({ type: 'output', stream: 'stdout', data, at: '2026-12-03T10:00:00.000Z' })}\n\n`;
  const state = `event: state\ndata: ${JSON.stringify({ type: 'state', app: { running: false, exitCode: 0 } })}\n\n`;
  const end = `event: end\ndata: ${JSON.stringify({ reason: 'the app log closed: the repl stopped' })}\n\n`;

  it('logs prints the text; logs -f writes the output as it was and ends when the repl stops (0)', async () => {
    api.on(`GET /api/repls/${ID}/app/logs`, (req, res) => {
      if (req.path.includes('follow=true')) return sse([output('listening\n'), state, output('bye\n'), end])(req, res);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('line 1\nline 2\n');
    });
    const text = await runWith(['repl', 'logs', ID], { env });
    assert.equal(text.stdout, 'line 1\nline 2\n');
    const followed = await runWith(['repl', 'logs', '-f', ID], { env });
    assert.equal(followed.code, 0);
    assert.equal(followed.stdout, 'listening\nbye\n');
    assert.match(followed.stderr, /the repl stopped/);
    const json = await runWith(['repl', 'logs', '-f', ID, '--json'], { env });
    assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l).type), ['output', 'state', 'output', 'end']);
  });

  it('logs -f ends with 0 on Ctrl-C (the way to stop following)', async () => {
    const interrupt = new AbortController();
    api.on(`GET /api/repls/${ID}/app/logs`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(output('still running\n'));
      // Never ends by itself: the reader hangs up.
      setTimeout(() => interrupt.abort(), 50);
    });
    const ran = await runWith(['repl', 'logs', '-f', ID], { env, interrupt: interrupt.signal });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'still running\n');
  });

  it('archive downloads to the file the server names, refuses to overwrite it, and shows progress only at a terminal', async () => {
    const body = Buffer.alloc(300_000, 7);
    api.on(`GET /api/repls/${ID}/archive`, (_req, res) => void res.writeHead(200, { 'content-type': 'application/gzip', 'content-disposition': 'attachment; filename="web-app.tar.gz"', 'content-length': String(body.length) }).end(body));
    const dir = fs.mkdtempSync(path.join(home, 'dl-'));
    const file = path.join(dir, 'web-app.tar.gz');
    const ran = await runWith(['--json', 'repl', 'archive', ID, '-o', file], { env, tty: true });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(ran.json(), { id: ID, file, bytes: body.length, format: 'tar.gz' });
    assert.deepEqual(fs.readFileSync(file), body);
    assert.equal(ran.stderr, '', 'no progress with --json');
    const again = await runWith(['repl', 'archive', ID, '-o', file], { env });
    assert.equal(again.code, EXIT.USAGE);
    assert.match(again.stderr, /exists: give another --output, or --force/);
    const forced = await runWith(['repl', 'archive', ID, '-o', file, '--force'], { env, tty: true });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /\rdownloading .*web-app\.tar\.gz: \d+% \(\d+ KiB of 293/);
    assert.match(forced.stdout, /web app → .*web-app\.tar\.gz \(293 KiB\)/);
  });

  it('import uploads the file with its archive type and the stack, with progress at a terminal, and prints the new repl', async () => {
    let received: { type?: string; query: string; bytes: number } | undefined;
    api.on('POST /api/repls/import', (req, res) => {
      received = { type: req.headers['content-type'], query: req.path.split('?')[1]!, bytes: req.body.length };
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(replOf(ID, 'imported')));
    });
    const file = path.join(home, 'site.zip');
    fs.writeFileSync(file, Buffer.alloc(200_000, 1));
    const ran = await runWith(['repl', 'import', file, '--stack', 'static', '--name', 'my site'], { env, tty: true });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(received, { type: 'application/zip', query: 'stack=static&name=my+site', bytes: 200_000 });
    assert.match(ran.stderr, /\ruploading site\.zip: \d+%/);
    assert.match(ran.stdout, /^imported \(abcdefghijkm\): node, stopped/);
    const quiet = await runWith(['repl', 'import', file, '--stack', 'static'], { env, tty: false });
    assert.equal(quiet.stderr, '', 'no progress when stderr is not a terminal');
  });

  it("start shows the repl's start step while it waits, then clears the line", async () => {
    api.on(`POST /api/repls/${ID}/start`, async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1300));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(replOf(ID, 'web app', { status: 'running' })));
    });
    const ran = await runWith(['repl', 'start', ID], { env, tty: true });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, /\rstarting web app…\u001b\[K/);
    assert.match(ran.stderr, /\rstarting web app: restoring files…\u001b\[K/);
    assert.ok(ran.stderr.endsWith('\r\u001b[K'));
    assert.match(ran.stdout, /web app \(abcdefghijkm\): node, running/);
  });

  it('completes commands, options and repl ids in bash (and makes zsh and fish scripts from the same tree)', () => {
    const program = buildProgram({} as never, { code: 0 });
    const script = completionScript(program, 'bash');
    const complete = (line: string): string[] => {
      const words = line.split(' ');
      // `codeyard` itself is stubbed: the repl-id completion asks it for `repl ls -q`.
      const test = `${script}\ncodeyard() { [ "$*" = "repl ls -q" ] && printf '${ID}\\nbcdefghijkmn\\n'; }\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\n_codeyard\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
      return execFileSync('bash', ['-c', test], { encoding: 'utf8' }).split('\n').filter(Boolean);
    };
    assert.deepEqual(complete('codeyard '), ['login', 'logout', 'whoami', 'repl', 'secret', 'class', 'completion']);
    assert.deepEqual(complete('codeyard secret '), ['list', 'ls', 'set', 'rm']);
    assert.deepEqual(complete('codeyard repl st'), ['start', 'stop', 'stop-app']);
    assert.deepEqual(complete('codeyard --server http://x repl ex'), ['exec']);
    assert.deepEqual(complete('codeyard repl logs a'), [ID]);
    assert.deepEqual(complete('codeyard repl logs --'), ['--follow', '--json', '--server', '--help']);
    assert.deepEqual(complete('codeyard completion z'), ['zsh']);
    assert.deepEqual(complete('codeyard class create --m'), ['--memory']);
    assert.deepEqual(complete('codeyard class create --memory 512 --al'), ['--always-on']);
    assert.deepEqual(complete('codeyard repl create --stack '), []);
    assert.match(completionScript(program, 'zsh'), /bashcompinit/);
    const fish = completionScript(program, 'fish');
    assert.match(fish, /complete -c codeyard -n '__fish_seen_subcommand_from repl; and not __fish_seen_subcommand_from ls create/);
    assert.match(fish, /__fish_seen_subcommand_from exec' -a '\(codeyard repl ls -q 2>\/dev\/null\)'/);
    assert.ok(program instanceof Command);
  });
});
