import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';
import { hostSocketPath } from './host-sockets.js';
import { untraversable } from './sandbox.js';
import { mountVolume, releaseVolume, remountVolume, unmountVolume, volumeNeeds } from './workspace-volume.js';

const run = promisify(execFile);

/**
 * Where one repl's things are on the host (a warm sandbox's are at <root>/.warm/<sandbox id>/
 * until it becomes a repl's, when the whole folder is renamed to <root>/<repl id>/):
 *
 *   <root>/<id>/               root's, 0711
 *     uid, pids.json           root's records about the repl
 *     sock/                    root's, 0700: the sockets the host connects to (host-sockets.ts)
 *     workspace.img, workspace/   the workspace volume (dropped once saved)
 *     private.img, private/    the repl's private volume: home/, state/, run/, etc/, store/
 *
 * Why a private volume (security review, class 12): a bind mount shows its source path inside
 * the sandbox (/proc/self/mountinfo gives the path within the source filesystem), so folders
 * bound from the host's data folder told the repl where the data folder is. Bound from a volume
 * of the repl's own, they show only `/home`, `/state`… And home gets a disk quota too.
 */
export interface ReplDirs {
  base: string;
  /** The workspace volume's image, when disk quotas are on. */
  volume: string;
  workspace: string;
  /** The private volume's image and mount point (a plain folder where volumes do not work). */
  privateVolume: string;
  private: string;
  /** Generated passwd/group for the sandbox. */
  etc: string;
  /** Holds the host uid given to this repl. */
  uidFile: string;
  home: string;
  state: string;
  run: string;
  /** Root's folder (0700, never inside a sandbox) of the sockets the host side connects to. */
  sockets: string;
  ideSocket: string;
  agentSocket: string;
  tunnelSocket: string;
  /** Root-owned folder of the workspace relay's socket (bound read-only into the sandbox). */
  storeDir: string;
  storeSocket: string;
  /** In the root-owned repl folder, not a folder the repl can write to. */
  pidsFile: string;
}

/** The folders of repl `id` under `rootDir`; `id` must be a plain name (it becomes a path). */
export function replDirs(rootDir: string, id: string): ReplDirs {
  if (!/^[a-z0-9]+$/.test(id)) throw new AppError('BAD_REQUEST', `not a repl id: ${JSON.stringify(id)}`);
  return dirsAt(path.join(rootDir, id));
}

/** Unix socket paths are limited to 107 bytes on Linux. */
const MAX_SOCKET_PATH = 107;

/**
 * Makes the runtime's folder, checking first that the deepest socket path under it fits, and,
 * when repls run as their own uids, that they can pass through to it (0711: nothing is listed).
 */
export function prepareRoot(rootDir: string, uidPerRepl: boolean): void {
  const probe = warmDirs(rootDir, 'a'.repeat(12)).tunnelSocket;
  if (Buffer.byteLength(probe) > MAX_SOCKET_PATH) {
    throw new Error(`the runtime folder ${rootDir} is too deep for unix socket paths (${probe} is over ${MAX_SOCKET_PATH} bytes): set CODEYARD_DATA to a shorter path`);
  }
  fs.mkdirSync(rootDir, { recursive: true, mode: 0o711 });
  if (!uidPerRepl) return;
  fs.chmodSync(rootDir, 0o711);
  const blocked = untraversable(rootDir);
  if (blocked.length) throw new Error(`repl sandboxes run as unprivileged users, who cannot reach ${rootDir}: allow passing through ${blocked.join(', ')} (chmod o+x), or set CODEYARD_DATA to a folder under one that allows it`);
}

/** Where warm sandboxes (no repl's yet) have their folders: never a repl id, never scanned as repls. */
export function warmRoot(rootDir: string): string {
  return path.join(rootDir, '.warm');
}

/** The folders of warm sandbox `sandboxId`. */
export function warmDirs(rootDir: string, sandboxId: string): ReplDirs {
  if (!/^[a-z0-9]+$/.test(sandboxId)) throw new AppError('BAD_REQUEST', `not a sandbox id: ${JSON.stringify(sandboxId)}`);
  return dirsAt(path.join(warmRoot(rootDir), sandboxId));
}

/**
 * Makes a warm sandbox's folder repl `replId`'s: one rename, with its volumes mounted and its
 * processes running (mounts and the host's sockets follow the folder; inside the sandbox nothing
 * changes). Fails when the repl has a folder already: nothing of a repl is ever replaced.
 */
export async function bindWarmFolders(from: ReplDirs, rootDir: string, replId: string): Promise<ReplDirs> {
  const to = replDirs(rootDir, replId);
  if (fs.existsSync(to.base)) throw new Error(`repl ${replId} has a folder already`);
  await fsp.rename(from.base, to.base);
  return to;
}

function dirsAt(base: string): ReplDirs {
  const own = path.join(base, 'private');
  const sockets = path.join(base, 'sock');
  return {
    base,
    volume: path.join(base, 'workspace.img'),
    workspace: path.join(base, 'workspace'),
    privateVolume: path.join(base, 'private.img'),
    private: own,
    etc: path.join(own, 'etc'),
    uidFile: path.join(base, 'uid'),
    home: path.join(own, 'home'),
    state: path.join(own, 'state'),
    run: path.join(own, 'run'),
    sockets,
    ideSocket: hostSocketPath(sockets, 'ide'),
    agentSocket: hostSocketPath(sockets, 'agent'),
    tunnelSocket: hostSocketPath(sockets, 'tunnel'),
    storeDir: path.join(own, 'store'),
    storeSocket: path.join(own, 'store', 'store.sock'),
    pidsFile: path.join(base, 'pids.json'),
  };
}

/** What the portal records about a running sandbox, for the next portal to find it. */
export interface PidsFile {
  /** The sandbox: its outer process leads the group the agent and code-server live in. */
  agentPid: number;
  /** Marks every process of this instance (see INSTANCE_MARKER). */
  instance: string;
  /** The sandbox's own id (its cgroups' name); absent in files of older versions, whose id was the repl's. */
  sandbox?: string;
}

export async function writePids(dirs: ReplDirs, pids: PidsFile): Promise<void> {
  await fsp.writeFile(dirs.pidsFile, JSON.stringify(pids));
}

export async function readPids(dirs: ReplDirs): Promise<PidsFile | undefined> {
  try {
    const pids = JSON.parse(await fsp.readFile(dirs.pidsFile, 'utf8')) as PidsFile;
    return Number.isInteger(pids.agentPid) && typeof pids.instance === 'string' && (pids.sandbox === undefined || (typeof pids.sandbox === 'string' && /^[a-z0-9]+$/.test(pids.sandbox))) ? pids : undefined;
  } catch {
    return undefined;
  }
}

/** Folders of the layout before the private volume, moved into it on first use. */
const LEGACY = ['home', 'state', 'run', 'etc', 'store'] as const;
/** One preparation per repl folder at a time (toolchain checks share one). */
const preparing = new KeyedQueue();

/**
 * Makes the private folder ready: its own volume of `sizeBytes` when volumes work here (mounted
 * again after a host restart), else a plain folder. Folders of the older layout are moved in.
 */
export function preparePrivate(dirs: ReplDirs, options: { volumes: boolean; sizeBytes: number }): Promise<void> {
  return preparing.run(dirs.base, async () => {
    await fsp.mkdir(dirs.base, { recursive: true, mode: 0o711 });
    const legacy = LEGACY.map((name) => path.join(dirs.base, name)).filter((dir) => fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory());
    if (options.volumes) {
      if (!(await remountVolume(dirs.privateVolume, dirs.private))) {
        const legacyBytes = await diskUsage(legacy);
        await mountVolume(dirs.privateVolume, dirs.private, volumeNeeds(Math.max(options.sizeBytes, Math.ceil(legacyBytes * 1.2))));
      }
    } else {
      await fsp.mkdir(dirs.private, { recursive: true });
    }
    await fsp.chmod(dirs.private, 0o711);
    for (const from of legacy) {
      const to = path.join(dirs.private, path.basename(from));
      if (fs.existsSync(to)) continue;
      // cp -a copies links as links and keeps owners: nothing the repl left is followed.
      if (options.volumes) await run('cp', ['-a', from, to]);
      else await fsp.rename(from, to);
      await fsp.rm(from, { recursive: true, force: true });
    }
  });
}

/**
 * Unmounts the private volume of a repl no sandbox uses any more (stopped, saved): a server
 * keeps one mounted per running repl, not one per repl it ever ran. Its image stays (home).
 */
export function releasePrivate(dirs: ReplDirs): Promise<void> {
  return preparing.run(dirs.base, () => unmountVolume(dirs.private));
}

/** Unmounts both volumes of a repl and removes its whole folder. */
export async function removeReplFolders(dirs: ReplDirs): Promise<void> {
  await releaseVolume(dirs.volume, dirs.workspace).catch(() => undefined);
  await releaseVolume(dirs.privateVolume, dirs.private).catch(() => undefined);
  await fsp.rm(dirs.base, { recursive: true, force: true });
}

async function diskUsage(dirs: string[]): Promise<number> {
  if (!dirs.length) return 0;
  const { stdout } = await run('du', ['-s', '-B1', '--apparent-size', '-c', ...dirs]).catch(() => ({ stdout: '0' }));
  return Number(stdout.trim().split('\n').pop()?.split(/\s/)[0]) || 0;
}

/**
 * The folder every sandbox sees read-only: the agent bundle and the built-in VS Code
 * extensions. A volume of its own when volumes work (its path inside then tells nothing).
 */
export function sharedDir(rootDir: string): string {
  return path.join(rootDir, '.shared');
}

/**
 * Files built beside the agent bundle for code-server's processes: its launcher
 * (agent/src/code-server-launch.ts), the idle collection they preload (agent/src/idle-gc.ts) and
 * the Node command of the TypeScript server (agent/src/tsserver-node.sh).
 */
export const IDE_HELPERS = Object.freeze({ launcher: 'code-server-launch.cjs', idleGc: 'idle-gc.cjs', tsserverNode: 'tsserver-node' });

/** One of IDE_HELPERS beside the agent bundle. */
export function helperBeside(agentBundle: string, helper: keyof typeof IDE_HELPERS): string {
  return path.join(path.dirname(agentBundle), IDE_HELPERS[helper]);
}

/** Fills the shared folder (after its volume is mounted, when there is one). */
export async function prepareShared(rootDir: string, agentBundle: string | undefined): Promise<void> {
  const shared = sharedDir(rootDir);
  await fsp.mkdir(shared, { recursive: true, mode: 0o755 });
  await fsp.chmod(shared, 0o755);
  if (agentBundle) {
    for (const file of [agentBundle, ...Object.values(IDE_HELPERS).map((name) => path.join(path.dirname(agentBundle), name))]) {
      if (file !== agentBundle && !fs.existsSync(file)) continue; // an older build: repls start without it
      // A new file renamed into place: a running sandbox keeps the copy it was started with.
      const target = path.join(shared, path.basename(file));
      await fsp.copyFile(file, `${target}.new`);
      await fsp.chmod(`${target}.new`, (await fsp.stat(file)).mode & 0o111 ? 0o755 : 0o644);
      await fsp.rename(`${target}.new`, target);
    }
  }
  // Left by older versions; their .agent and .ide-extensions stay (sandboxes still running may use them).
  for (const old of ['.volume-probe', '.volume-probe.img']) await fsp.rm(path.join(rootDir, old), { recursive: true, force: true });
}
