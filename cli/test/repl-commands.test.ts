import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Repl } from '@codeyard/common/api/models';
import { EXIT } from '../src/exit-codes.js';
import { ApiDouble, replOf } from './helpers/api-double.js';
import { type Ran, runWith, tempHome } from './helpers/run-cli.js';

const ID = 'abcdefghijkm';
const OTHER = 'bcdefghijkmn';

/**
 * The repl commands in-process against the API double: what they ask the server, how they
 * print (tables, --json), and the exit status of each kind of refusal.
 */
describe('codeyard repl … (against the API double)', () => {
  let api: ApiDouble;
  const home = tempHome();
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]): Promise<Ran> => runWith(argv, { env });

  before(async () => {
    api = await new ApiDouble().start();
    env = { XDG_CONFIG_HOME: home, CODEYARD_SERVER: api.url, CODEYARD_TOKEN: 'cy_test' };
  });
  beforeEach(() => {
    api.requests.length = 0;
    api.json('GET /api/repls', 200, [replOf(ID, 'web app', { status: 'running', app: { running: true } }), replOf(OTHER, 'twin'), replOf('cdefghijkmnp', 'twin')]);
    api.json(`GET /api/repls/${ID}`, 200, replOf(ID, 'web app'));
  });
  after(async () => {
    await api.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('lists repls as a table, as JSON (the API objects as they are), or as ids', async () => {
    const human = await cli('repl', 'ls');
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+NAME\s+STACK\s+STATUS\s+APP\s+CREATED$/);
    assert.match(lines[1]!, new RegExp(`^${ID}\\s+web app\\s+node\\s+running\\s+running\\s+5 min ago$`));
    assert.equal(lines.length, 4);
    const json = await cli('repl', 'ls', '--json');
    assert.deepEqual(json.json<Repl[]>().map((r) => [r.id, r.name, r.status]), [[ID, 'web app', 'running'], [OTHER, 'twin', 'stopped'], ['cdefghijkmnp', 'twin', 'stopped']]);
    assert.equal((await cli('repl', 'ls', '-q')).stdout, `${ID}\n${OTHER}\ncdefghijkmnp\n`);
    assert.equal(api.requests[0]!.headers.authorization, 'Bearer cy_test');
  });

  it('names a repl by id or by its unique name; a shared name asks for the id (2); an unknown one is 4', async () => {
    api.json(`POST /api/repls/${ID}/stop`, 200, replOf(ID, 'web app'));
    assert.equal((await cli('repl', 'stop', 'web app')).code, 0);
    assert.equal((await cli('repl', 'stop', ID)).code, 0);
    assert.deepEqual(api.requests.filter((r) => r.method === 'POST').map((r) => r.path), [`/api/repls/${ID}/stop`, `/api/repls/${ID}/stop`]);
    const twin = await cli('repl', 'stop', 'twin');
    assert.equal(twin.code, EXIT.USAGE);
    assert.match(twin.stderr, /2 repls are named "twin" \(bcdefghijkmn, cdefghijkmnp\): give the id/);
    const none = await cli('repl', 'stop', 'nothing');
    assert.equal(none.code, EXIT.NOT_FOUND);
    assert.match(none.stderr, /no repl "nothing"/);
  });

  it('restart stops a running repl, then starts it (in that order); a stopped one is only started', async () => {
    api.json(`POST /api/repls/${ID}/stop`, 200, replOf(ID, 'web app'));
    api.json(`POST /api/repls/${ID}/start`, 200, replOf(ID, 'web app', { status: 'running' }));
    const running = await cli('repl', 'restart', 'web app');
    assert.equal(running.code, 0, running.stderr);
    assert.deepEqual(api.requests.filter((r) => r.method === 'POST').map((r) => r.path), [`/api/repls/${ID}/stop`, `/api/repls/${ID}/start`]);
    assert.match(running.stdout, /web app \(abcdefghijkm\): node, running/);
    api.requests.length = 0;
    api.json(`POST /api/repls/${OTHER}/start`, 200, replOf(OTHER, 'twin', { status: 'running' }));
    api.json(`GET /api/repls/${OTHER}`, 200, replOf(OTHER, 'twin'));
    assert.equal((await cli('repl', 'restart', OTHER)).code, 0);
    assert.deepEqual(api.requests.filter((r) => r.method === 'POST').map((r) => r.path), [`/api/repls/${OTHER}/start`]);
  });

  it('creates with the stack and name it is given, and prints the new repl', async () => {
    api.on('POST /api/repls', (req, res) => {
      const body = JSON.parse(req.body.toString()) as { stack: string; name: string };
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(replOf(ID, body.name, { stack: body.stack })));
    });
    const made = await cli('--json', 'repl', 'create', '--stack', 'python', '--name', 'calc');
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(JSON.parse(api.requests[0]!.body.toString()), { stack: 'python', name: 'calc' });
    assert.equal(made.json<Repl>().stack, 'python');
  });

  it('refuses bad usage with 2 before asking the server anything', async () => {
    const cases: [string[], RegExp][] = [
      [['repl', 'create'], /required option '-s, --stack <stack>'/],
      [['repl', 'frobnicate'], /unknown command 'frobnicate'/],
      [['repl', 'start'], /missing required argument 'repl'/],
      [['repl', 'cp', 'a.txt', 'b.txt'], /one local path and one repl:path/],
      [['repl', 'cp', `${ID}:a`, `${OTHER}:b`], /one local path and one repl:path/],
      [['repl', 'exec', ID, '--timeout', 'soon', '--', 'ls'], /--timeout is in seconds/],
      [['repl', 'exec', ID, '--timeout', '601', '--', 'ls'], /at most 600/],
      [['repl', 'archive', ID, '--format', 'rar'], /--format is tar.gz or zip/],
      [['completion', 'powershell'], /completion is for bash, zsh, fish/],
      [['--server', 'ftp://x', 'repl', 'ls'], /http:\/\/ or https:\/\//],
    ];
    for (const [argv, said] of cases) {
      const ran = await cli(...argv);
      assert.equal(ran.code, EXIT.USAGE, `${argv.join(' ')}: ${ran.stderr}`);
      assert.match(ran.stderr, said, argv.join(' '));
    }
    assert.equal(api.requests.filter((r) => r.method !== 'GET').length, 0);
  });

  it('says help and the version with 0', async () => {
    const help = await cli('repl', 'exec', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: codeyard repl exec/);
    assert.equal((await cli('--version')).stdout.trim(), '0.1.0');
    assert.equal((await cli('help', 'repl')).code, 0);
    // No command at all is usage: the help goes to stderr and the status says so.
    const bare = await cli();
    assert.equal(bare.code, EXIT.USAGE);
    assert.match(bare.stderr, /Usage: codeyard/);
  });

  it('gives each refusal its exit status and the server\'s own words; --json adds the error on stdout', async () => {
    const cases: [() => void, number, RegExp][] = [
      [() => api.error(`POST /api/repls/${ID}/start`, 401, 'UNAUTHENTICATED', 'the token is not valid'), EXIT.AUTH, /not signed in to .*codeyard login/],
      [() => api.error(`POST /api/repls/${ID}/start`, 403, 'FORBIDDEN', 'this token lacks the write scope'), EXIT.AUTH, /write scope/],
      [() => api.error(`POST /api/repls/${ID}/start`, 409, 'LIMIT_REACHED', '3 repls of this account are running'), EXIT.CONFLICT, /3 repls/],
      [() => api.error(`POST /api/repls/${ID}/start`, 503, 'SERVER_FULL', 'this server is full: #2 in line', { 'retry-after': '30' }), EXIT.BUSY, /#2 in line \(try again in 30 s\)/],
      [() => api.error(`POST /api/repls/${ID}/start`, 429, 'RATE_LIMITED', 'slow down'), EXIT.BUSY, /slow down/],
      [() => api.error(`POST /api/repls/${ID}/start`, 500, 'INTERNAL', 'see the log'), EXIT.ERROR, /see the log/],
    ];
    for (const [script, code, said] of cases) {
      script();
      const ran = await cli('repl', 'start', ID, '--json');
      assert.equal(ran.code, code, ran.stderr);
      assert.match(ran.stderr, said);
      assert.equal(ran.json().error.exitCode, code);
    }
  });

  it('is 3 with how to sign in when there is no token, and 7 when nothing answers', async () => {
    const unsigned = await runWith(['repl', 'ls'], { env: { XDG_CONFIG_HOME: home, CODEYARD_SERVER: api.url } });
    assert.equal(unsigned.code, EXIT.AUTH);
    assert.match(unsigned.stderr, /not signed in to http:\/\/127\.0\.0\.1:\d+: run `codeyard login --server/);
    // A port that was free a moment ago: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const gone = await runWith(['repl', 'ls'], { env: { ...env, CODEYARD_SERVER: `http://127.0.0.1:${port}` } });
    assert.equal(gone.code, EXIT.UNREACHABLE);
    assert.match(gone.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  it("exec sends the words as one shell line and exits with the command's status", async () => {
    api.on(`POST /api/repls/${ID}/exec`, (req, res) => {
      const { command, timeoutMs } = JSON.parse(req.body.toString()) as { command: string; timeoutMs: number };
      const timedOut = command.startsWith('sleep');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exitCode: timedOut ? null : 3, signal: timedOut ? 'SIGKILL' : null, stdout: `ran: ${command} in ${timeoutMs}\n`, stderr: 'warn\n', timedOut, truncated: false, durationMs: 5 }));
    });
    const ran = await cli('repl', 'exec', ID, '--', 'grep', '-r', "it's here", 'src');
    assert.equal(ran.code, 3);
    assert.equal(ran.stdout, `ran: grep -r 'it'\\''s here' src in 30000\n`);
    assert.equal(ran.stderr, 'warn\n');
    const slow = await cli('repl', 'exec', ID, '-t', '2', 'sleep 9');
    assert.equal(slow.code, EXIT.EXEC_TIMEOUT);
    assert.match(slow.stdout, /ran: sleep 9 in 2000/);
    const json = await cli('--json', 'repl', 'exec', ID, 'echo hi');
    assert.equal(json.code, 3);
    assert.equal(json.json().exitCode, 3);
  });

  it('says how to start a repl that must run (logs, exec: 6)', async () => {
    api.error(`GET /api/repls/${ID}/app/logs`, 409, 'NOT_RUNNING', `repl ${ID} is stopped; start it first (POST /api/repls/${ID}/start)`);
    api.error(`POST /api/repls/${ID}/exec`, 409, 'NOT_RUNNING', `repl ${ID} is stopped`);
    for (const argv of [['repl', 'logs', ID], ['repl', 'logs', '-f', ID], ['repl', 'exec', ID, 'ls']]) {
      const ran = await cli(...argv);
      assert.equal(ran.code, EXIT.CONFLICT, argv.join(' '));
      assert.match(ran.stderr, new RegExp(`web app \\(${ID}\\) is not running: \`codeyard repl start ${ID}\``), argv.join(' '));
    }
  });

  it('cp puts a local file into a repl and gets it back (binary intact, folders as targets)', async () => {
    const stored = new Map<string, Buffer>();
    api.on(`PUT /api/repls/${ID}/files/docs/a%20b.bin`, (req, res) => {
      const created = !stored.has('docs/a b.bin');
      stored.set('docs/a b.bin', req.body);
      res.writeHead(created ? 201 : 200, { 'content-type': 'application/json' }).end('{}');
    });
    api.on(`GET /api/repls/${ID}/files/docs/a%20b.bin`, (_req, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(stored.get('docs/a b.bin')));
    const dir = fs.mkdtempSync(path.join(home, 'cp-'));
    const local = path.join(dir, 'a b.bin');
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10]);
    fs.writeFileSync(local, bytes);
    const put = await cli('--json', 'repl', 'cp', local, 'web app:docs/');
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.json(), { id: ID, path: 'docs/a b.bin', bytes: 6, created: true });
    const back = path.join(dir, 'back');
    fs.mkdirSync(back);
    const get = await cli('repl', 'cp', `${ID}:docs/a b.bin`, back);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(fs.readFileSync(path.join(back, 'a b.bin')), bytes);
    const piped = await cli('repl', 'cp', `${ID}:docs/a b.bin`, '-');
    assert.deepEqual(piped.raw, bytes);
    const missing = await cli('repl', 'cp', path.join(dir, 'nope'), `${ID}:x`);
    assert.equal(missing.code, EXIT.NOT_FOUND);
  });
});
