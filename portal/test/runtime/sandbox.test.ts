import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSIDE, sandboxCommand, type SandboxSpec } from '../../src/runtime/process/sandbox.js';

const spec: SandboxSpec = {
  hostname: 'abcdefgh2345',
  network: 'host',
  mounts: { home: '/data/r/home', workspace: '/data/r/workspace', run: '/data/r/run', state: '/data/r/state', etc: '/data/r/etc', agent: '/data/.agent/a.cjs', ideHelpers: ['/data/.shared/code-server-launch.cjs', '/data/.shared/idle-gc.cjs', '/data/.shared/tsserver-node'], readOnly: ['/var/cache/codeyard/node'] },
  env: { HOME: INSIDE.home, SECRET_LOOKING: 'x' },
  argv: ['/bin/sh', '-c', 'true'],
};

function pairs(args: string[], flag: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  args.forEach((a, i) => a === flag && out.push([args[i + 1]!, args[i + 2]!]));
  return out;
}

describe('sandboxCommand', () => {
  it('isolates everything but the network by default, and ends with the portal', () => {
    const { file, args } = sandboxCommand(spec);
    assert.equal(file, '/usr/bin/bwrap');
    for (const flag of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session', '--clearenv']) assert.ok(args.includes(flag), flag);
    assert.ok(!args.includes('--unshare-net'));
    assert.ok(args.includes('--unshare-net') === false);
    assert.deepEqual(sandboxCommand({ ...spec, network: 'none' }).args.includes('--unshare-net'), true);
    assert.deepEqual(args.slice(args.indexOf('--') + 1), spec.argv);
  });

  it('binds only the repl folders writable, and nothing of the host home folders', () => {
    const { args } = sandboxCommand(spec);
    assert.deepEqual(pairs(args, '--bind'), [
      ['/data/r/home', INSIDE.home],
      ['/data/r/workspace', INSIDE.workspace],
      ['/data/r/run', INSIDE.run],
      ['/data/r/state', INSIDE.state],
    ]);
    const readOnly = pairs(args, '--ro-bind').map(([from]) => from);
    assert.ok(readOnly.includes('/usr'));
    assert.ok(readOnly.includes('/var/cache/codeyard/node'));
    for (const from of readOnly) assert.doesNotMatch(from, /^\/(root|home)(\/|$)|shadow|gshadow|sudoers|ssh/, from);
    assert.ok(pairs(args, '--ro-bind').some(([from, to]) => from === '/data/r/etc/passwd' && to === '/etc/passwd'));
  });

  it("binds the agent and code-server's helpers read-only where the runtime names them inside", () => {
    const readOnly = pairs(sandboxCommand(spec).args, '--ro-bind');
    for (const [from, to] of [['/data/.agent/a.cjs', INSIDE.agent], ['/data/.shared/code-server-launch.cjs', INSIDE.ideLauncher], ['/data/.shared/idle-gc.cjs', INSIDE.idleGc], ['/data/.shared/tsserver-node', INSIDE.tsserverNode]]) {
      assert.ok(readOnly.some((pair) => pair[0] === from && pair[1] === to), `${from} at ${to}`);
    }
  });

  it('sets exactly the environment it is given', () => {
    const { args } = sandboxCommand(spec);
    assert.deepEqual(pairs(args, '--setenv'), [['HOME', INSIDE.home], ['SECRET_LOOKING', 'x']]);
  });

  it("switches to the repl's own host uid, with its limits, when it has one", () => {
    const { file, args } = sandboxCommand({ ...spec, hostUid: 200_123, limits: { processes: 512, openFiles: 4096 } });
    assert.equal(file, '/usr/bin/prlimit');
    assert.deepEqual(args.slice(0, 9), ['--nproc=512:512', '--nofile=4096:4096', '--core=0:0', '--', '/usr/bin/setpriv', '--reuid=200123', '--regid=200123', '--clear-groups', '--']);
    assert.equal(args[9], '/usr/bin/bwrap');
    assert.equal(sandboxCommand({ ...spec, hostUid: 200_123 }).file, '/usr/bin/setpriv');
  });
});
