import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';
import { hostSocketPath } from './host-sockets.js';
import { mountVolume, releaseVolume, remountVolume, unmountVolume, volumeNeeds } from './workspace-volume.js';

const run = promisify(execFile);

/**
 * Where one repl's things are on the host:
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
  const base = path.join(rootDir, id);
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

/** Fills the shared folder (after its volume is mounted, when there is one). */
export async function prepareShared(rootDir: string, agentBundle: string | undefined): Promise<void> {
  const shared = sharedDir(rootDir);
  await fsp.mkdir(shared, { recursive: true, mode: 0o755 });
  await fsp.chmod(shared, 0o755);
  if (agentBundle) {
    // A new file renamed into place: a running sandbox keeps the copy it was started with.
    const target = path.join(shared, 'codeyard-agent.cjs');
    await fsp.copyFile(agentBundle, `${target}.new`);
    await fsp.chmod(`${target}.new`, 0o644);
    await fsp.rename(`${target}.new`, target);
  }
  // Left by older versions; their .agent and .ide-extensions stay (sandboxes still running may use them).
  for (const old of ['.volume-probe', '.volume-probe.img']) await fsp.rm(path.join(rootDir, old), { recursive: true, force: true });
}
