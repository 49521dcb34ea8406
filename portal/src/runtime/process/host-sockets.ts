import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/** The sockets a repl's agent serves to the host side, in the order of their descriptors (3, 4, 5). */
export const HOST_SOCKETS = ['agent', 'tunnel', 'ide'] as const;
export type HostSocketName = (typeof HOST_SOCKETS)[number];
/** The first descriptor after stdin/stdout/stderr. */
export const FIRST_FD = 3;

/** Where the host side finds a repl's sockets: `<dir>/<name>.sock`. */
export function hostSocketPath(dir: string, name: HostSocketName): string {
  return path.join(dir, `${name}.sock`);
}

/** The descriptor each socket has in the agent, for its config. */
export function hostSocketFds(): { control: number; tunnel: number; ide: number } {
  return { control: FIRST_FD, tunnel: FIRST_FD + 1, ide: FIRST_FD + 2 };
}

export interface BoundSockets {
  /** Listening descriptors to hand to the child as stdio entries 3, 4, 5. */
  fds: number[];
  /** After the spawn: puts the sockets at their final names and lets go of the host's copies. */
  publish(): void;
  /** When the spawn failed: removes what was bound. */
  discard(): void;
}

/**
 * Why this exists (security review, "the host trusts paths a repl controls"): the portal runs as
 * root and connects to a repl's agent, tunnel and IDE by socket path. When the agent bound those
 * sockets in a folder the repl could write, a repl could put a symbolic link there and have the
 * portal connect to another repl's socket or to a root-only socket on the host. Now the host binds
 * them itself, in `dir` (root's, mode 0700, never visible inside a sandbox), and hands the
 * listening descriptors to the agent at spawn: the repl can accept on them but cannot change
 * where they are, so every host-side connection reaches this repl's own agent or nothing.
 *
 * Each socket is bound under a temporary name and renamed into place after the spawn: closing a
 * listening server unlinks the path it bound, and the host must close its copy without removing
 * the socket the agent now serves.
 */
export async function bindHostSockets(dir: string): Promise<BoundSockets> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // A folder left by an older layout or made by anyone else is not trusted: it must be ours, 0700.
  const stat = await fsp.lstat(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a folder owned by the portal's user with mode 0700`);
  }
  const servers: net.Server[] = [];
  const temporary = (name: HostSocketName): string => path.join(dir, `${name}.new`);
  try {
    for (const name of HOST_SOCKETS) {
      fs.rmSync(temporary(name), { force: true });
      const server = net.createServer();
      // Nothing on the host accepts: the agent does, on its copy of the descriptor.
      server.on('connection', (socket) => socket.destroy());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(temporary(name), () => resolve());
      });
      servers.push(server);
    }
  } catch (err) {
    for (const server of servers) server.close();
    throw err;
  }
  return {
    fds: servers.map(descriptorOf),
    publish() {
      for (const name of HOST_SOCKETS) fs.renameSync(temporary(name), hostSocketPath(dir, name));
      // The temporary names are gone, so closing unlinks nothing: the sockets stay the agent's.
      for (const server of servers) server.close();
    },
    discard() {
      for (const server of servers) server.close();
    },
  };
}

/**
 * The descriptor of a listening server. Node has no public accessor; the handle's `fd` is what
 * child_process itself uses, and spawn's documented `stdio: [.., fd]` form duplicates it into the
 * child. Checked, so a Node that changes this fails loudly at start instead of misrouting.
 */
function descriptorOf(server: net.Server): number {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) throw new Error('cannot read the descriptor of a listening socket on this Node version');
  return fd;
}
