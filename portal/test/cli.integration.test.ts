import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Me } from '@codeyard/common/api/auth';
import type { AppState, ExecResult, LogFrame, Repl } from '@codeyard/common/api/models';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import { eventually, request } from './helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const BIN = path.join(REPO_ROOT, 'cli', 'bin', 'codeyard.js');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/**
 * The `codeyard` command as a user runs it (its bin, a child process) against a real portal:
 * the process runtime with its sandbox, real code-server and agent, a node repl. Most commands
 * use an anonymous account's token (`POST /api/session`) through CODEYARD_TOKEN; one test signs
 * in with `codeyard login` (the real device flow, approved with that account's browser cookie)
 * and uses and revokes the personal token it got. `--json` output is parsed throughout.
 */
describe('the codeyard CLI against a running portal', { timeout: 600_000 }, () => {
  let t: TestPortal;
  let token: string;
  let stranger: string;
  let id: string;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-cli-e2e-'));

  const env = (who = token): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: path.join(work, 'config'), CODEYARD_SERVER: `http://localhost:${t.port}`, CODEYARD_TOKEN: who });
  function cli(args: string[], options: { who?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? env(options.who), cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdin.end(options.input ?? '');
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
      });
    });
  }
  const ok = (ran: Ran, what: string): Ran => {
    assert.equal(ran.code, 0, `${what}: exit ${ran.code}\n${ran.stderr}${ran.stdout}`);
    return ran;
  };

  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
    stranger = await t.newToken();
  });
  after(async () => {
    await t?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('creates a node repl and starts it', async () => {
    const created = ok(await cli(['--json', 'repl', 'create', '--stack', 'node', '--name', 'cli e2e']), 'create').json<Repl>();
    assert.match(created.id, REPL_ID_PATTERN);
    assert.equal(created.name, 'cli e2e');
    id = created.id;
    const started = ok(await cli(['--json', 'repl', 'start', 'cli e2e']), 'start by name').json<Repl>();
    assert.equal(started.status, 'running');
    const listed = ok(await cli(['--json', 'repl', 'ls']), 'ls').json<Repl[]>();
    assert.deepEqual(listed.map((r) => [r.id, r.status]), [[id, 'running']]);
    const link = ok(await cli(['--json', 'repl', 'open', id, '--no-browser']), 'open').json<{ url: string; opened: boolean }>();
    assert.match(link.url, new RegExp(`^http://${id}\\.localhost:${t.port}/_codeyard/auth\\?ticket=`));
    assert.equal(link.opened, false);
    assert.match(ok(await cli(['repl', 'ls']), 'ls table').stdout, new RegExp(`^ID\\s+NAME.*\\n${id}\\s+cli e2e\\s+node\\s+running`));
  });

  it("runs the app and shows its output, as text and followed (ended with Ctrl-C, exit 0)", async () => {
    const app = ok(await cli(['--json', 'repl', 'run', id]), 'run').json<AppState>();
    assert.equal(app.running, true);
    const text = await eventually(async () => {
      const logs = ok(await cli(['repl', 'logs', id]), 'logs').stdout;
      return logs.includes('listening on') && logs;
    }, 'the app to say it listens');
    assert.match(text, /Node\.js v\d+.* listening on http:\/\/0\.0\.0\.0:3000/);

    const follower = spawn(process.execPath, [BIN, '--json', 'repl', 'logs', '-f', id], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const frames: LogFrame[] = [];
    let buffered = '';
    const sawListening = new Promise<void>((resolve) => {
      follower.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) frames.push(JSON.parse(line) as LogFrame);
        if (frames.some((f) => f.type === 'output' && f.data.includes('listening on'))) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    await Promise.race([sawListening, exited.then(() => assert.fail('logs -f ended before the backlog came'))]);
    const first = frames[0]!;
    assert.equal(first.type, 'state', 'the app state comes first');
    assert.equal(first.type === 'state' && first.app.running, true);
    follower.kill('SIGINT');
    assert.equal(await exited, 0, 'Ctrl-C ends a followed log with 0');
  });

  it("execs a command in the repl and exits with its status; output by --json", async () => {
    const failed = await cli(['repl', 'exec', id, '--', 'node', '-e', "console.log('out'); console.error('err'); process.exit(3)"]);
    assert.equal(failed.code, 3, failed.stderr);
    assert.equal(failed.stdout, 'out\n');
    assert.equal(failed.stderr, 'err\n');
    const json = ok(await cli(['--json', 'repl', 'exec', id, 'pwd && id -u']), 'exec --json').json<ExecResult>();
    assert.equal(json.exitCode, 0);
    assert.match(json.stdout, /\n1000\n$/);
  });

  it('copies a file into the running repl and back, bytes intact', async () => {
    const local = path.join(work, 'hello.bin');
    const bytes = Buffer.concat([Buffer.from('hello from the CLI\n'), Buffer.from([0, 255, 1, 254])]);
    fs.writeFileSync(local, bytes);
    const put = ok(await cli(['--json', 'repl', 'cp', local, `${id}:notes/`]), 'cp in').json<{ path: string; created: boolean }>();
    assert.deepEqual([put.path, put.created], ['notes/hello.bin', true]);
    const seen = ok(await cli(['--json', 'repl', 'exec', id, 'head -c 18 notes/hello.bin']), 'exec cat').json<ExecResult>();
    assert.equal(seen.stdout, 'hello from the CLI');
    const back = path.join(work, 'back.bin');
    ok(await cli(['repl', 'cp', `${id}:notes/hello.bin`, back]), 'cp out');
    assert.deepEqual(fs.readFileSync(back), bytes);
    // The server's own refusal of a path leaving the workspace (the CLI refuses `..` before sending).
    const absolute = await cli(['repl', 'cp', local, `${id}:/etc/escape.bin`]);
    assert.equal(absolute.code, 2, `a path leaving the workspace is refused as bad input: ${absolute.stderr}`);
    assert.match(absolute.stderr, /relative/);
    assert.equal((await cli(['repl', 'cp', local, `${id}:../escape.bin`])).code, 2);
  });

  it('downloads the workspace as an archive and imports it as a new repl', async () => {
    const file = path.join(work, 'e2e.tar.gz');
    const got = ok(await cli(['--json', 'repl', 'archive', id, '-o', file]), 'archive').json<{ bytes: number }>();
    assert.equal(fs.statSync(file).size, got.bytes);
    const names = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n');
    assert.ok(names.some((n) => n.replace(/^\.\//, '') === 'notes/hello.bin'), names.join(' '));
    const imported = ok(await cli(['--json', 'repl', 'import', file, '--stack', 'node', '--name', 'from archive']), 'import').json<Repl>();
    assert.notEqual(imported.id, id);
    const copied = await cli(['repl', 'cp', `${imported.id}:notes/hello.bin`, '-']);
    assert.equal(copied.code, 0, copied.stderr);
    assert.ok(copied.stdout.startsWith('hello from the CLI'));
    const forked = ok(await cli(['--json', 'repl', 'fork', id, '--name', 'forked']), 'fork').json<Repl>();
    assert.equal(forked.forkOf, id);
    ok(await cli(['repl', 'rm', imported.id]), 'rm the import');
    ok(await cli(['repl', 'rm', 'forked']), 'rm the fork by name');
  });

  it("keeps another account out: the same commands on this repl are 4 (not found)", async () => {
    for (const args of [['repl', 'logs', id], ['repl', 'exec', id, 'id'], ['repl', 'cp', `${id}:index.js`, '-'], ['repl', 'rm', id]]) {
      const ran = await cli(args, { who: stranger });
      assert.equal(ran.code, 4, `${args.join(' ')}: ${ran.stderr}`);
    }
    const refused = await cli(['repl', 'ls'], { who: 'cy_not-a-token' });
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /codeyard login/);
  });

  it('signs in with the device flow (approved with the browser session), says who it is (whoami), acts with the token it got, and signs out', async () => {
    // Its own config home and no CODEYARD_TOKEN: the token comes from `login` alone.
    const home = path.join(work, 'device');
    const loginEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') };
    const server = `http://localhost:${t.port}`;
    const login = spawn(process.execPath, [BIN, 'login', '--server', server, '--json'], { env: loginEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    login.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => login.on('close', resolve));
    const userCode = await new Promise<string>((resolve, reject) => {
      login.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const shown = /shows the code ([A-Z]{4}-[A-Z]{4})/.exec(stderr);
        if (shown) resolve(shown[1]!);
      });
      void exited.then(() => reject(new Error(`login ended before showing a code: ${stderr}`)));
    });
    assert.match(stderr, new RegExp(`open ${server}/device\\?code=${userCode}`));
    // The owner of the repls approves in the browser: the portal's cookie, from its own page.
    const approved = await request(t.port, {
      method: 'POST',
      path: '/api/auth/device/approve',
      headers: { cookie: `codeyard_token=${token}`, origin: server, 'content-type': 'application/json' },
      body: JSON.stringify({ userCode, approve: true }),
    });
    assert.equal(approved.status, 200, approved.body);
    assert.equal(await exited, 0, stderr);
    const signedIn = JSON.parse(stdout) as { server: string; account: { id: string }; tokenId: string };
    assert.equal(signedIn.server, server);
    const configFile = path.join(home, 'config', 'codeyard', 'config.json');
    assert.equal(fs.statSync(configFile).mode & 0o777, 0o600);
    const stored = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { current: string; servers: Record<string, { token: string }> };
    assert.equal(stored.current, server);
    const issued = stored.servers[server]!.token;
    assert.match(issued, /^cyp_/);

    const run = (args: string[]) => cli(args, { env: loginEnv });
    // The same account's repls, through the personal token.
    assert.deepEqual(ok(await run(['--json', 'repl', 'ls']), 'ls with the device token').json<Repl[]>().map((r) => r.id), [id]);
    // whoami: GET /api/me with the stored token names the account that approved, for people and for scripts.
    const me = ok(await run(['--json', 'whoami']), 'whoami --json').json<Me & { server: string; tokenFrom: string }>();
    assert.deepEqual(me, { server, tokenFrom: 'config', id: signedIn.account.id, email: null, name: null, role: 'member', anonymous: true, authMode: 'anonymous', limits: { repls: 50, running: 3 } });
    assert.equal(ok(await run(['whoami']), 'whoami').stdout, `an anonymous account (member) on ${server}\n`);
    const fromEnv = ok(await cli(['whoami']), 'whoami with CODEYARD_TOKEN');
    assert.equal(fromEnv.stdout, `an anonymous account (member) on ${server}, token from CODEYARD_TOKEN\n`, 'the legacy token of the same account');
    const out = ok(await run(['--json', 'logout']), 'logout').json<{ revoked: boolean }>();
    assert.equal(out.revoked, true);
    assert.equal((await run(['repl', 'ls'])).code, 3, 'signed out: nothing stored any more');
    const nobody = await run(['whoami']);
    assert.equal(nobody.code, 3, `whoami signed out: ${nobody.stderr}`);
    assert.match(nobody.stderr, /codeyard login/);
    const revoked = await request(t.port, { path: '/api/repls', headers: { authorization: `Bearer ${issued}` } });
    assert.equal(revoked.status, 401, 'the token was revoked on the server, not only forgotten');
    const revokedWhoami = await cli(['whoami'], { who: issued });
    assert.equal(revokedWhoami.code, 3, `whoami with the revoked token: ${revokedWhoami.stderr}`);
    assert.match(revokedWhoami.stderr, /codeyard login/);
  });

  it('stops the app, and removes the repl', async () => {
    const app = ok(await cli(['--json', 'repl', 'stop-app', id]), 'stop-app').json<AppState>();
    assert.equal(app.running, false);
    const notRunning = await cli(['repl', 'stop', id]);
    assert.equal(notRunning.code, 0, notRunning.stderr);
    const execStopped = await cli(['repl', 'exec', id, 'true']);
    assert.equal(execStopped.code, 6, 'exec on a stopped repl is a conflict');
    assert.match(execStopped.stderr, /is not running: `codeyard repl start /);
    ok(await cli(['repl', 'rm', id]), 'rm');
    assert.deepEqual(ok(await cli(['--json', 'repl', 'ls']), 'ls').json(), []);
    assert.equal((await cli(['repl', 'start', id])).code, 4);
  });
});
