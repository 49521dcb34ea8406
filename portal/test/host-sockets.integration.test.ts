import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExecResult } from '@codeyard/common/agent/protocol';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';

/**
 * The security review's "host trusts paths a repl controls": from inside a repl, every socket
 * name the repl can write is replaced by a symbolic link to another repl's socket or to a
 * root-only socket on the host (a stand-in for a container engine's socket). Then the portal
 * is used as usual: files, exec, the IDE, a preview port. Nothing may reach the other repl or
 * the root-only socket, and the repl's own calls must still work or fail cleanly.
 */
describe('sockets the host connects to', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;
  let a: ReplView;
  let b: ReplView;
  let rootOnly: { server: net.Server; path: string; connections: number; dir: string };
  const canary = `canary-of-b-${process.pid}`;

  const run = async (repl: ReplView, command: string): Promise<ExecResult> => {
    const res = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command, timeoutMs: 20_000 });
    assert.equal(res.status, 200, res.body);
    return res.json<ExecResult>();
  };
  const hostPath = (repl: ReplView, ...parts: string[]): string => path.join(t.dataDir, 'repls', repl.id, ...parts);

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-rootonly-'));
    fs.chmodSync(dir, 0o700);
    rootOnly = { server: net.createServer(), path: path.join(dir, 'engine.sock'), connections: 0, dir };
    rootOnly.server.on('connection', (socket) => {
      rootOnly.connections++;
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nroot-only');
    });
    await new Promise<void>((resolve) => rootOnly.server.listen(rootOnly.path, resolve));
    fs.chmodSync(rootOnly.path, 0o600);

    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    token = await t.newToken();
    a = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'A' })).json();
    b = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'B' })).json();
    await t.api(token, 'PUT', `/api/repls/${b.id}/files/secret.txt`, canary);
    for (const repl of [a, b]) assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
  });
  after(async () => {
    await t?.close();
    rootOnly?.server.close();
    if (rootOnly) fs.rmSync(rootOnly.dir, { recursive: true, force: true });
  });

  it('keeps every host-side socket in a folder the repl cannot change', () => {
    const endpoints = t.runtime.endpoints(a.id);
    assert.ok(endpoints, 'A is running');
    const paths = [endpoints.ide, endpoints.agent, endpoints.port(3000)].map((target) => ('socketPath' in target ? target.socketPath : ''));
    const uidOfA = fs.statSync(hostPath(a, 'workspace')).uid;
    for (const socketPath of paths) {
      // Every folder from the data folder down to the socket is a real folder only root may change.
      for (let dir = path.dirname(socketPath); dir.startsWith(t.dataDir) && dir !== t.dataDir; dir = path.dirname(dir)) {
        const stat = fs.lstatSync(dir);
        assert.ok(stat.isDirectory() && !stat.isSymbolicLink(), `${dir} is a real folder`);
        assert.equal(stat.uid, process.getuid!(), `${dir} belongs to the portal, not the repl (${uidOfA})`);
        assert.equal(stat.mode & 0o022, 0, `${dir} is not writable by group or others`);
      }
      assert.ok(fs.lstatSync(socketPath).isSocket(), `${socketPath} is a socket`);
    }
  });

  it('reaches neither another repl nor a root-only socket through links planted inside', async () => {
    // Every socket name a repl sees, in every folder it can write, now points elsewhere on the host.
    const targets: Record<string, string> = {
      'agent.sock': path.join(replDirs(path.join(t.dataDir, 'repls'), b.id).run, 'agent.sock'),
      'ide.sock': rootOnly.path,
      'tunnel.sock': rootOnly.path,
    };
    const plant = Object.entries(targets)
      .flatMap(([name, target]) => ['/run/codeyard', '/var/lib/codeyard', '/home/user'].map((dir) => `rm -f ${dir}/${name}; ln -s ${target} ${dir}/${name}`))
      .join('; ');
    const planted = await run(a, `${plant}; ls -l /run/codeyard`);
    assert.match(planted.stdout, /agent\.sock -> /, planted.stderr);

    // Files and exec go to A's own agent: B's secret never comes back.
    const read = await t.api(token, 'GET', `/api/repls/${a.id}/files/secret.txt`);
    assert.notEqual(read.status, 200, `A has no secret.txt; got ${read.body}`);
    assert.doesNotMatch(read.body, new RegExp(canary));
    const exec = await run(a, 'cat secret.txt; hostname');
    assert.doesNotMatch(exec.stdout, new RegExp(canary));
    assert.equal(exec.stdout.trim(), a.id, 'the command ran in A');
    const list = await t.api(token, 'GET', `/api/repls/${a.id}/files`);
    assert.doesNotMatch(list.body, /secret\.txt/);

    // The IDE and a preview port of A: served by A, or refused; never by the root-only socket.
    const link = (await t.api(token, 'POST', `/api/repls/${a.id}/ide-link`, {})).json<{ url: string }>().url;
    const url = new URL(link);
    const signIn = await request(t.port, { host: url.host, path: url.pathname + url.search });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    // A's agent relays to what A made of its own code-server socket (a dead link): a clean 502.
    const ide = await request(t.port, { host: url.host, path: '/healthz', headers: { cookie } });
    assert.ok([200, 502].includes(ide.status), `${ide.status} ${ide.body}`);
    assert.doesNotMatch(ide.body, /root-only/);
    assert.equal((await t.api(token, 'POST', `/api/repls/${a.id}/app/start`)).status, 200);
    const preview = await eventually(async () => {
      const res = await request(t.port, { host: `${a.id}-3000.localhost:${t.port}`, path: '/' });
      return res.status === 200 && res;
    }, "A's app through its preview URL");
    assert.doesNotMatch(preview.body, /root-only/);
    assert.equal(rootOnly.connections, 0, 'nothing reached the root-only socket');
  });

  it('opens its logs without following a link the repl left in their place', async () => {
    const secret = path.join(rootOnly.dir, 'root-only.txt');
    fs.writeFileSync(secret, 'root only\n', { mode: 0o600 });
    const agentPid = (): number => JSON.parse(fs.readFileSync(hostPath(a, 'pids.json'), 'utf8')).agentPid;
    const before = agentPid();
    // The agent log is opened by the portal (root) when the sandbox (re)starts: end A's agent
    // (the only child of the sandbox's init, pid 1), and the portal starts it again.
    await t.api(token, 'POST', `/api/repls/${a.id}/exec`, { command: `rm -f /var/lib/codeyard/agent.log; ln -s ${secret} /var/lib/codeyard/agent.log; kill -9 $(awk '$4 == 1 { print $1 }' /proc/[0-9]*/stat)` });
    await eventually(async () => agentPid() !== before, "A's sandbox restarted", 60_000);
    await eventually(async () => (await t.api(token, 'POST', `/api/repls/${a.id}/exec`, { command: 'true', timeoutMs: 5000 })).status === 200, "A's agent answers again", 60_000);
    assert.equal(fs.readFileSync(secret, 'utf8'), 'root only\n', 'the root-only file was not written through the link');
    assert.ok(fs.lstatSync(path.join(replDirs(path.join(t.dataDir, 'repls'), a.id).state, 'agent.log')).isFile(), 'the log is a plain file again');
  });
});
