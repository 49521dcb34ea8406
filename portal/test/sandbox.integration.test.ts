import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExecResult } from '@codeyard/common/agent/protocol';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, request } from './helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * What code running in a repl can reach, probed from inside with `exec` (the same sandbox as
 * the app and the IDE's terminals). Each test names what must be refused. Network tests use
 * loopback only: the repl's own loopback, and this machine's, which it must not see.
 */
describe('the repl sandbox', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;
  let a: ReplView;
  let b: ReplView;
  const canary = `canary-${process.pid}`;

  const run = async (repl: ReplView, command: string, timeoutMs = 20_000): Promise<ExecResult> => {
    const res = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command, timeoutMs });
    assert.equal(res.status, 200, res.body);
    return res.json<ExecResult>();
  };

  before(async () => {
    process.env.CODEYARD_TEST_CANARY = canary; // must never show up inside a repl
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none', CODEYARD_LIMIT_MEMORY_MB: '1024', CODEYARD_LIMIT_DISK_MB: '64' } });
    token = await t.newToken();
    a = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'A' })).json();
    b = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'B' })).json();
    await t.api(token, 'PUT', `/api/repls/${b.id}/files/secret.txt`, `secret of B ${canary}`);
    for (const repl of [a, b]) assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
  });
  after(async () => {
    delete process.env.CODEYARD_TEST_CANARY;
    await t?.close();
  });

  it('runs repl code as an unprivileged user, inside and on the host', async () => {
    const id = await run(a, 'id -u; id -un; touch made-here');
    assert.equal(id.stdout, '1000\nuser\n');
    const owner = fs.statSync(path.join(t.dataDir, 'repls', a.id, 'workspace', 'made-here')).uid;
    if (process.getuid?.() === 0) {
      assert.ok(owner >= 200_000, `a file the repl made belongs to its own host uid (${owner}), not root`);
      const ownerB = fs.statSync(path.join(t.dataDir, 'repls', b.id, 'workspace', 'secret.txt')).uid;
      assert.notEqual(ownerB, owner, 'each repl has a uid of its own');
    }
  });

  it('refuses /etc/shadow, /root and the host repository', async () => {
    const result = await run(a, `cat /etc/shadow; ls /root; ls ${REPO_ROOT}; ls /home`);
    assert.doesNotMatch(result.stdout, /root:/);
    assert.match(result.stderr, /\/etc\/shadow: No such file/);
    assert.match(result.stderr, /\/root.*No such file/);
    assert.equal(result.stdout.trim(), 'user', 'only the repl user has a home');
  });

  it("refuses the portal's data folder and signing key", async () => {
    const key = fs.readFileSync(path.join(t.dataDir, 'secrets', 'signing.key'), 'utf8');
    // Every writable or host-derived place in the sandbox (the system in /usr is the distribution's own).
    // The grep reads everything readable there, code-server's install under /var/cache included
    // (~600 MB), within the repl's own CPU quota while its VS Code is starting: 2 s here when warm,
    // over 20 s in a full CI run, so it gets a minute.
    const result = await run(a, `cat ${t.dataDir}/secrets/signing.key; ls ${t.dataDir}; grep -rl ${key.slice(0, 16)} /home /run /var /etc /opt /tmp /proc/self/environ 2>/dev/null | head -1`, 60_000);
    assert.equal(result.timedOut, false);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /No such file/);
  });

  it("does not tell where the host keeps its data (mountinfo, mounts, environment)", async () => {
    if (process.getuid?.() !== 0) return; // only a root portal has volumes of the repl's own
    const result = await run(a, 'cat /proc/self/mountinfo /proc/mounts /proc/self/environ; echo; pwd; cat /etc/passwd');
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(!result.stdout.includes(t.dataDir), `the data path ${t.dataDir} shows inside:\n${result.stdout.split('\n').filter((l) => l.includes(t.dataDir)).join('\n')}`);
    assert.ok(!result.stdout.includes(path.basename(t.dataDir)), 'not even the data folder\'s name');
    // Home and the sandbox's own folders come from the repl's private volume.
    assert.match(result.stdout, / \/home \/home\/user /);
  });

    it("refuses another repl's files by path, symlink, /proc/*/root and ..", async () => {
    const other = path.join(t.dataDir, 'repls', b.id, 'workspace', 'secret.txt');
    const result = await run(
      a,
      [
        `cat ${other}`,
        `ln -sf ${other} link && cat link`,
        'cat /proc/*/root/home/user/workspace/secret.txt',
        'cat ../../../../home/user/workspace/secret.txt ../secret.txt',
        `find / -name secret.txt -not -path '/proc/*' 2>/dev/null`,
      ].join('; '),
    );
    assert.doesNotMatch(result.stdout, /secret of B/);
    // And B's own files are where B sees them.
    assert.match((await run(b, 'cat secret.txt')).stdout, /secret of B/);
  });

  it('sees and signals only its own processes, VS Code and its terminals included', async () => {
    const result = await run(a, `ps -e -o pid=,comm=; kill -0 ${process.pid} && echo SIGNALLED`);
    // code-server (and so every terminal it opens) runs in this same sandbox: the agent and
    // code-server (one process since its launcher replaced the wrapper) are Node, named
    // MainThread by Node 24.
    assert.ok((result.stdout.match(/MainThread|node/g) ?? []).length >= 2, result.stdout);
    assert.doesNotMatch(result.stdout, /SIGNALLED/);
    assert.doesNotMatch(result.stdout, /code-server.*\n.*code-server.*\n.*code-server.*\n.*code-server/, "not B's processes");
    const pids = result.stdout.trim().split('\n').map((line) => Number(line.trim().split(/\s+/)[0]));
    assert.ok(pids.length < 30, `only the sandbox's own processes are visible (${pids.length})`);
    assert.ok(!pids.includes(process.pid) || process.pid < 30, 'the portal is not among them');
  });

  it('inherits nothing from the host environment', async () => {
    const env = (await run(a, 'env')).stdout;
    assert.doesNotMatch(env, new RegExp(canary));
    assert.doesNotMatch(env, /CODEYARD_SIGNING_KEY|npm_config|XDG_RUNTIME_DIR=\/run\/user/);
    assert.match(env, /^HOME=\/home\/user$/m);
  });

  it('cannot reach the portal or another repl over the network (network: none)', async () => {
    const probe = `python3 -c "import socket; socket.create_connection(('127.0.0.1', ${t.port}), 2); print('CONNECTED')"`;
    const result = await run(a, probe);
    assert.doesNotMatch(result.stdout, /CONNECTED/);
    assert.match(result.stderr, /Connection refused/);
    // B's app listens on 3000 in B's namespace; A's own loopback has nothing there.
    await t.api(token, 'POST', `/api/repls/${b.id}/app/start`);
    await eventually(async () => (await request(t.port, { host: `${b.id}-3000.localhost:${t.port}`, path: '/' })).status === 200, "B's app through the proxy");
    const toB = await run(a, `python3 -c "import socket; socket.create_connection(('127.0.0.1', 3000), 2); print('CONNECTED')"`);
    assert.doesNotMatch(toB.stdout, /CONNECTED/);
    const interfaces = (await run(a, 'cat /proc/net/dev')).stdout;
    assert.deepEqual(interfaces.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]), ['lo'], 'loopback only');
  });

  it('reports what it enforces at GET /api/runtime', async () => {
    const runtime = (await t.api(token, 'GET', '/api/runtime')).json();
    assert.equal(runtime.sandbox, 'bubblewrap');
    assert.equal(runtime.network, 'none');
    for (const limit of Object.values(runtime.limits) as Array<{ enforced: boolean; reason?: string; mechanism?: string }>) {
      assert.ok(limit.enforced ? limit.mechanism : limit.reason, 'every limit says how, or why not');
    }
    assert.equal((await t.api(undefined, 'GET', '/api/runtime')).status, 401);
  });

  it('contains a process flood within the repl (RLIMIT_NPROC on its own uid)', { skip: process.getuid?.() !== 0 && 'per-repl uids need a root portal' }, async () => {
    assert.equal((await t.api(token, 'GET', '/api/runtime')).json().limits.processes.enforced, true);
    // Never flood without the limit in place: check it from inside first.
    assert.match((await run(a, "grep 'Max processes' /proc/self/limits")).stdout, /Max processes\s+1024\s+1024/);
    const flood = `python3 -c "
import os, time
n = 0
try:
    while n < 3000:
        if os.fork() == 0:
            os.close(1); os.close(2); time.sleep(60); os._exit(0)
        n += 1
except OSError as e:
    print('refused after', n, type(e).__name__)
"`;
    const result = await run(a, flood);
    assert.equal(result.timedOut, false);
    assert.match(result.stdout, /refused after \d+ BlockingIOError/);
    assert.ok(Number(/after (\d+)/.exec(result.stdout)![1]) < 1024);
    // The flood is gone with its command; neighbours never noticed; the repl itself recovers
    // (its own VS Code or agent may have failed to fork meanwhile, and are restarted).
    assert.match((await run(b, 'echo B is fine')).stdout, /B is fine/);
    await eventually(async () => /A is fine/.test((await t.api(token, 'POST', `/api/repls/${a.id}/exec`, { command: 'echo A is fine' })).body), 'repl A to recover', 30_000);
    assert.equal((await t.api(token, 'GET', `/api/repls/${a.id}`)).json().status, 'running');
  });

  it('kills a memory hog alone: the app shows as crashed, the repl and its neighbours keep working', async (ctx) => {
    const limits = (await t.api(token, 'GET', '/api/runtime')).json().limits;
    if (!limits.memory.enforced) return ctx.skip(`memory limit not enforced here: ${limits.memory.reason}`);
    const hog = `const kept = []; setInterval(() => kept.push(Buffer.alloc(64 * 1024 * 1024, 1)), 20);`;
    await t.api(token, 'PUT', `/api/repls/${a.id}/files/index.js`, hog);
    assert.equal((await t.api(token, 'POST', `/api/repls/${a.id}/app/start`)).status, 200);
    const app = await eventually(async () => {
      const state = (await t.api(token, 'GET', `/api/repls/${a.id}`)).json().app;
      return !state.running && state.exitedAt && state;
    }, 'the hog to be killed', 60_000).catch(async (err: unknown) => {
      // Seen once in a full CI run (passes alone in under a second): say what the app was doing.
      const state = (await t.api(token, 'GET', `/api/repls/${a.id}`)).json().app;
      const log = (await run(a, 'tail -c 1500 /var/lib/codeyard/app.log; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null')).stdout;
      throw new Error(`${String(err)}; app ${JSON.stringify(state)}; log and limit:\n${log}`);
    });
    assert.ok(app.signal === 'SIGKILL' || app.exitCode === 137, `killed by the OOM killer: ${JSON.stringify(app)}`);
    assert.equal(app.stopped, false, 'a crash, not a Stop');
    assert.equal((await t.api(token, 'GET', `/api/repls/${a.id}`)).json().status, 'running');
    assert.match((await run(a, 'echo A still here')).stdout, /A still here/);
    assert.match((await run(b, 'echo B is fine')).stdout, /B is fine/);
  });

  it('stops a disk fill at the workspace quota, with the files kept and neighbours unaffected', async (ctx) => {
    const limits = (await t.api(token, 'GET', '/api/runtime')).json().limits;
    if (!limits.disk.enforced) return ctx.skip(`disk quota not enforced here: ${limits.disk.reason}`);
    const fill = await run(a, 'echo keep > before.txt; dd if=/dev/zero of=fill bs=1M count=200 2>&1; du -sm fill; cat before.txt');
    assert.match(fill.stdout, /No space left on device/);
    // The repl gets its whole quota (the volume is sized for ext4's own overhead), and no more.
    assert.ok(Number(/^(\d+) bytes .* copied/m.exec(fill.stdout)![1]) <= 64.5 * 1024 * 1024, fill.stdout);
    assert.match(fill.stdout, /^keep$/m, 'files written before the fill are intact');
    const image = fs.statSync(path.join(t.dataDir, 'repls', a.id, 'workspace.img'));
    assert.ok(image.blocks * 512 <= 80 * 1024 * 1024, 'the host spent no more than the quota');
    assert.match((await run(b, 'dd if=/dev/zero of=ok bs=1M count=8 2>&1 && echo B wrote')).stdout, /B wrote/);
    assert.match((await run(a, 'rm fill && echo freed > after.txt && cat after.txt')).stdout, /freed/);
  });

  it("applies a stack's own limits over the defaults", async (ctx) => {
    const stacks = (await t.api(token, 'GET', '/api/stacks')).json() as Array<{ id: string; available: boolean }>;
    if (!stacks.find((s) => s.id === 'rust')?.available) return ctx.skip('the rust stack is not available here');
    if (!(await t.api(token, 'GET', '/api/runtime')).json().limits.processes.enforced) return ctx.skip('process limits need a root portal');
    const rust = (await t.api(token, 'POST', '/api/repls', { stack: 'rust' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${rust.id}/start`)).status, 200);
    assert.match((await run(rust, "grep 'Max processes' /proc/self/limits")).stdout, /Max processes\s+2048\s+2048/, 'templates/rust/repl.json asks for 2048');
    assert.match((await run(a, "grep 'Max processes' /proc/self/limits")).stdout, /Max processes\s+1024\s+1024/, 'node keeps the default');
    await t.api(token, 'DELETE', `/api/repls/${rust.id}`);
  });

  it('never lets the portal write through links a repl planted in its own folders', async () => {
    // A host file the repl must not be able to get root to write (its path is just a string to the repl).
    const canaryFile = path.join(t.dataDir, `canary-${process.pid}`);
    fs.writeFileSync(canaryFile, 'untouched', { mode: 0o644 });
    const plant = [
      `ln -sf ${canaryFile} /home/user/.local/share/code-server/User/settings.json`,
      `ln -sf ${canaryFile} /var/lib/codeyard/agent.log`,
      `rm -f /run/codeyard/agent.json; ln -sf ${canaryFile} /run/codeyard/agent.json`,
      'ls -l /home/user/.local/share/code-server/User/settings.json /var/lib/codeyard/agent.log',
    ].join('; ');
    const planted = await run(a, plant);
    assert.match(planted.stdout, /settings.json -> /);
    // Stop and start: the portal writes the agent's config, opens its log, the agent writes settings.
    assert.equal((await t.api(token, 'POST', `/api/repls/${a.id}/stop`)).json().status, 'stopped');
    assert.equal((await t.api(token, 'POST', `/api/repls/${a.id}/start`)).json().status, 'running');
    assert.equal(fs.readFileSync(canaryFile, 'utf8'), 'untouched');
    assert.equal(fs.statSync(canaryFile).uid, process.getuid?.());
    assert.match((await run(a, 'echo A is back')).stdout, /A is back/);
  });

  it('gives no terminal to inject keystrokes into (TIOCSTI)', async () => {
    const result = await run(a, `python3 -c "import fcntl, os, termios; fd = os.open('/dev/tty', os.O_RDWR); fcntl.ioctl(fd, termios.TIOCSTI, b'x'); print('INJECTED')"`);
    assert.doesNotMatch(result.stdout, /INJECTED/);
    assert.notEqual(result.exitCode, 0);
  });
  it('contains a real fork bomb: the rest of the machine carries on, and Stop clears it', { skip: process.getuid?.() !== 0 && 'per-repl uids need a root portal' }, async () => {
    const c = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'C' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${c.id}/start`)).status, 200);
    assert.match((await run(c, "grep 'Max processes' /proc/self/limits")).stdout, /Max processes\s+1024\s+1024/, 'never without the limit');
    await t.api(token, 'POST', `/api/repls/${c.id}/exec`, { command: `timeout 5 bash -c ':(){ :|:& };:' >/dev/null 2>&1; echo bomb over`, timeoutMs: 15_000 });
    // Other repls and the portal are untouched.
    assert.match((await run(b, 'echo B is fine')).stdout, /B is fine/);
    assert.equal((await t.api(token, 'GET', '/api/repls')).status, 200);
    // Stop ends the whole sandbox, bomb and all; the repl starts again clean.
    assert.equal((await t.api(token, 'POST', `/api/repls/${c.id}/stop`)).json().status, 'stopped');
    assert.equal((await t.api(token, 'POST', `/api/repls/${c.id}/start`)).json().status, 'running');
    assert.match((await run(c, 'echo C is back')).stdout, /C is back/);
  });
});

/**
 * The default network, `internet`: a namespace of its own with HTTP(S) out through the egress
 * proxy. Every destination here is refused by the proxy before it connects anywhere, so these
 * tests send no packet beyond this machine's loopback and the repl's own.
 */
describe('repl network: internet through the egress proxy', { timeout: 120_000 }, () => {
  let t: TestPortal;
  let token: string;
  let repl: ReplView;
  const python = (code: string): string => `python3 -c "${code.replace(/"/g, '\\"')}"`;

  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
    repl = (await t.api(token, 'POST', '/api/repls', { stack: 'python' })).json();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
  });
  after(() => t?.close());

  const run = async (command: string): Promise<ExecResult> => (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command, timeoutMs: 20_000 })).json();

  it('is reported, and set up for every HTTP client in the repl', async () => {
    assert.match((await t.api(token, 'GET', '/api/runtime')).json().network, /^internet/);
    const env = (await run('env')).stdout;
    assert.match(env, /^HTTPS_PROXY=http:\/\/127\.0\.0\.1:43128$/m);
    assert.match(env, /^no_proxy=localhost,127\.0\.0\.1,::1$/m);
    const interfaces = (await run('cat /proc/net/dev')).stdout;
    assert.deepEqual(interfaces.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]), ['lo']);
  });

  it('refuses cloud metadata, private and loopback destinations', async () => {
    const tries = [
      ['http://169.254.169.254/latest/meta-data/', 'metadata'],
      ['http://10.0.0.1/', 'private'],
      ['https://192.168.1.1/', 'private'],
      [`http://127.0.0.1:${t.port}/api/stacks`, 'loopback'],
      ['http://[::1]/', 'loopback'],
    ];
    for (const [url, why] of tries) {
      // An explicit proxy handler: even a URL that no_proxy would send direct goes to the proxy here.
      const code = [
        "import os; os.environ.pop('no_proxy', None); os.environ.pop('NO_PROXY', None)",
        'import urllib.request as u, urllib.error as e',
        `o = u.build_opener(u.ProxyHandler({'http': 'http://127.0.0.1:43128', 'https': 'http://127.0.0.1:43128'}))`,
        'try:',
        `    o.open('${url}', timeout=10); print('REACHED')`,
        'except e.HTTPError as x:',
        "    print('REFUSED', x.code, x.read().decode())",
        'except Exception as x:',
        "    print('REFUSED', x)",
      ].join('\n');
      const result = await run(python(code));
      assert.doesNotMatch(result.stdout, /REACHED/, url);
      assert.match(result.stdout, /REFUSED.*403/, `${url}: ${result.stdout} ${result.stderr}`);
      if (url.startsWith('http:')) assert.match(result.stdout, new RegExp(why!), url);
    }
  });

  it('does not tell where the host keeps its data, egress folder included (mountinfo)', async () => {
    if (process.getuid?.() !== 0) return; // only a root portal has volumes
    const result = await run('cat /proc/self/mountinfo');
    assert.ok(!result.stdout.includes(t.dataDir), result.stdout.split('\n').filter((l) => l.includes(t.dataDir)).join('\n'));
    assert.match(result.stdout, / \/egress \/run\/codeyard-egress /);
  });

  it("does not let the world use the repl's egress relay through a preview URL", async () => {
    // Were the relay reachable, the egress proxy would answer this itself (403, no packet sent).
    // A port other than the app's is private: made public, it must still reach nothing.
    assert.equal((await request(t.port, { host: `${repl.id}-43128.localhost:${t.port}`, path: 'http://10.0.0.1/' })).status, 401);
    assert.equal((await t.api(token, 'PATCH', `/api/repls/${repl.id}/ports/43128`, { visibility: 'public' })).status, 200);
    const res = await request(t.port, { host: `${repl.id}-43128.localhost:${t.port}`, path: 'http://10.0.0.1/' });
    assert.equal(res.status, 502);
    assert.match(res.body, /Nothing is listening on port 43128/);
    assert.doesNotMatch(res.body, /public internet/);
  });

  it("cannot reach the portal's port directly either", async () => {
    const result = await run(python(`import socket; socket.create_connection(('127.0.0.1', ${t.port}), 2); print('CONNECTED')`));
    assert.doesNotMatch(result.stdout, /CONNECTED/);
    assert.match(result.stderr, /Connection refused/);
  });
});
