import fs from 'node:fs';
import path from 'node:path';

/** Where things are inside every repl sandbox, whatever the host layout. */
export const INSIDE = Object.freeze({
  home: '/home/user',
  workspace: '/home/user/workspace',
  run: '/run/codeyard',
  state: '/var/lib/codeyard',
  agent: '/opt/codeyard/codeyard-agent.cjs',
  /** Runs code-server without its wrapper process (agent/src/code-server-launch.ts). */
  ideLauncher: '/opt/codeyard/code-server-launch.cjs',
  /** Preloaded into code-server's processes: gives memory back once they are quiet (agent/src/idle-gc.ts). */
  idleGc: '/opt/codeyard/idle-gc.cjs',
  /** The Node command of VS Code's TypeScript server (agent/src/tsserver-node.sh). */
  tsserverNode: '/opt/codeyard/tsserver-node',
  egress: '/run/codeyard-egress',
  /** The repl's own workspace relay socket (the portal's side of workspace sync). */
  store: '/run/codeyard-store',
  /** The built-in VS Code extensions folders (code-server's own, linked, and Codeyard's). */
  ideExtensions: '/opt/codeyard/ide-extensions',
  /** Where the agent relays to the egress proxy, on the repl's own loopback. */
  egressPort: 43128,
  uid: 1000,
  gid: 1000,
  user: 'user',
});

/** The PATH inside: system directories only (the host user's own toolchain folders are not there). */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Host files of /etc that a repl may read: name resolution, certificates, the dynamic linker,
 * alternatives symlinks. Everything else of the host's /etc (shadow, ssh keys, sudoers…) is absent.
 */
export const ETC_ALLOWED = [
  'alternatives', 'ca-certificates', 'ssl', 'resolv.conf', 'hosts', 'nsswitch.conf', 'localtime',
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'mime.types', 'protocols', 'services', 'host.conf', 'gai.conf',
];

export interface SandboxMounts {
  /** Host folders bound writable. */
  home: string;
  workspace: string;
  run: string;
  state: string;
  /** Host folder holding the generated passwd and group files. */
  etc: string;
  /** The agent bundle (a host file). */
  agent: string;
  /** Host files beside the agent (its IDE helpers: the launcher…), each visible under /opt/codeyard by its name (INSIDE.ideLauncher…). */
  ideHelpers?: string[];
  /** Host folders visible read-only at the same path (code-server's install, its Node). */
  readOnly: string[];
  /** Host folder of the egress proxy's socket, visible read-only at INSIDE.egress. */
  egress?: string;
  /** Host folder of this repl's workspace relay socket, visible read-only at INSIDE.store. */
  store?: string;
  /** Host folder of the built-in extensions folders, visible read-only at INSIDE.ideExtensions. */
  ideExtensions?: string;
}

/** Per-sandbox resource limits applied as rlimits (inherited by everything in the sandbox). */
export interface SandboxLimits {
  /** RLIMIT_NPROC: tasks (processes and threads) of the sandbox's host uid. */
  processes: number;
  /** RLIMIT_NOFILE: open files per process. */
  openFiles: number;
}

export interface SandboxSpec {
  hostname: string;
  /** Applied only with a host uid of its own: RLIMIT_NPROC counts per uid. */
  limits?: SandboxLimits;
  /** The host uid the sandbox runs as; undefined to stay the portal's own (non-root portal). */
  hostUid?: number;
  /** With `none`, the repl's network namespace has only loopback. */
  network: 'none' | 'host';
  mounts: SandboxMounts;
  env: Record<string, string>;
  /** Command and arguments, in inside paths. */
  argv: string[];
}

/**
 * The command line that runs `argv` in a bubblewrap sandbox: new user, pid, mount, ipc, uts,
 * cgroup (and, with network `none`, net) namespaces; uid 1000 inside, mapped to the repl's own
 * unprivileged host uid when the portal is root (bwrap started as root would map it to host
 * root, see ../shared/MACHINE.md); the system read-only; the workspace, home and run folders
 * writable; private /tmp and /proc; an environment built from nothing. `--die-with-parent`
 * ends the sandbox with the portal; `--new-session` stops TIOCSTI injection into the portal's
 * terminal.
 */
export function sandboxCommand(spec: SandboxSpec, bwrap = '/usr/bin/bwrap', setpriv = '/usr/bin/setpriv', prlimit = '/usr/bin/prlimit'): { file: string; args: string[] } {
  const m = spec.mounts;
  const args = [
    '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(spec.network === 'none' ? ['--unshare-net'] : []),
    '--die-with-parent', '--new-session',
    '--uid', String(INSIDE.uid), '--gid', String(INSIDE.gid), '--hostname', spec.hostname,
    '--ro-bind', '/usr', '/usr',
  ];
  // Merged-/usr systems have /bin, /lib… as links into /usr; others have real folders.
  for (const dir of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${dir}`;
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(host);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(host), host);
    else if (stat.isDirectory()) args.push('--ro-bind', host, host);
  }
  args.push('--dir', '/etc');
  for (const name of ETC_ALLOWED) if (fs.existsSync(`/etc/${name}`)) args.push('--ro-bind', `/etc/${name}`, `/etc/${name}`);
  args.push('--ro-bind', path.join(m.etc, 'passwd'), '/etc/passwd', '--ro-bind', path.join(m.etc, 'group'), '/etc/group');
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', '/var/tmp');
  for (const dir of m.readOnly) args.push('--ro-bind', dir, dir);
  args.push('--ro-bind', m.agent, INSIDE.agent);
  for (const helper of m.ideHelpers ?? []) args.push('--ro-bind', helper, path.posix.join(path.posix.dirname(INSIDE.agent), path.basename(helper)));
  // Read-only: a repl can connect to the shared socket but not replace it for the others.
  if (m.egress) args.push('--ro-bind', m.egress, INSIDE.egress);
  if (m.store) args.push('--ro-bind', m.store, INSIDE.store);
  if (m.ideExtensions) args.push('--ro-bind', m.ideExtensions, INSIDE.ideExtensions);
  args.push('--bind', m.home, INSIDE.home, '--bind', m.workspace, INSIDE.workspace);
  args.push('--bind', m.run, INSIDE.run, '--bind', m.state, INSIDE.state);
  args.push('--chdir', INSIDE.workspace, '--clearenv');
  for (const [name, value] of Object.entries(spec.env)) args.push('--setenv', name, value);
  args.push('--', ...spec.argv);
  if (spec.hostUid === undefined) return { file: bwrap, args };
  const switchUser = [`--reuid=${spec.hostUid}`, `--regid=${spec.hostUid}`, '--clear-groups', '--', bwrap, ...args];
  if (!spec.limits) return { file: setpriv, args: switchUser };
  // prlimit sets the limits, setpriv takes the repl's uid, bwrap builds the sandbox: all inherit them.
  const { processes, openFiles } = spec.limits;
  return { file: prlimit, args: [`--nproc=${processes}:${processes}`, `--nofile=${openFiles}:${openFiles}`, '--core=0:0', '--', setpriv, ...switchUser] };
}

/** passwd and group files naming the sandbox user, so `id`, `whoami` and shells behave. */
export function writeIdentityFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'passwd'), `root:x:0:0:root:/root:/usr/sbin/nologin\n${INSIDE.user}:x:${INSIDE.uid}:${INSIDE.gid}:Codeyard:${INSIDE.home}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'group'), `root:x:0:\n${INSIDE.user}:x:${INSIDE.gid}:\nnogroup:x:65534:\n`, { mode: 0o644 });
}

/** Sets the owner of a folder tree (the sandbox's host uid owns what the repl may write). */
export function chownTree(dir: string, uid: number): void {
  const walk = (p: string): void => {
    fs.lchownSync(p, uid, uid);
    const stat = fs.lstatSync(p);
    if (stat.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
  };
  if (fs.existsSync(dir)) walk(dir);
}

/** The folders on the way to `target` that a non-owner cannot pass through (no o+x). */
export function untraversable(target: string): string[] {
  const blocked: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    try {
      if (!(fs.statSync(dir).mode & 0o001)) blocked.push(dir);
    } catch {
      blocked.push(dir);
    }
    if (path.dirname(dir) === dir) break;
  }
  return blocked;
}

/** True when bubblewrap can make a sandbox on this machine. */
export function bwrapAvailable(bwrap = '/usr/bin/bwrap'): boolean {
  try {
    fs.accessSync(bwrap, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
