import fs from 'node:fs';
import path from 'node:path';

/**
 * Memory and CPU limits per repl with cgroups: a folder per repl under the portal's own cgroup
 * for each controller the host lets us write (cgroup v1 `memory` and `cpu`, or the v2 unified
 * hierarchy with those controllers delegated). The repl's sandbox joins them before it starts,
 * so every process in it (code-server, agent, app, terminals) is counted together, and the
 * kernel's OOM killer picks the hungriest process of that repl only.
 */
export interface CgroupSupport {
  memory?: { version: 1 | 2; dir: string };
  cpu?: { version: 1 | 2; dir: string };
  /**
   * cgroup v1 only: where CPU time is counted (`cpuacct.usage`), for the usage figures. v1's `cpu`
   * controller limits but does not count; v2's `cpu.stat` does both. When `cpuacct` is mounted
   * together with `cpu` (`cpu,cpuacct`), this is the same folder as `cpu`.
   */
  cpuacct?: { version: 1; dir: string };
}

export interface CgroupLimits {
  memoryBytes: number;
  /** CPU time as a number of CPUs (1.5 = one and a half cores). */
  cpus: number;
}

function writable(dir: string): boolean {
  try {
    const probe = path.join(dir, 'codeyard');
    fs.mkdirSync(probe, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** Finds where this process may create cgroups for its repls. */
export function detectCgroups(procSelfCgroup = '/proc/self/cgroup', root = '/sys/fs/cgroup'): CgroupSupport {
  const support: CgroupSupport = {};
  let lines: string[];
  try {
    lines = fs.readFileSync(procSelfCgroup, 'utf8').trim().split('\n');
  } catch {
    return support;
  }
  for (const line of lines) {
    const [, controllers, own] = line.split(':') as [string, string, string];
    for (const name of controllers.split(',')) {
      if (name === 'cpuacct') {
        const dir = path.join(root, controllers, own);
        if (fs.existsSync(path.join(dir, 'cpuacct.usage')) && writable(dir)) support.cpuacct = { version: 1, dir: path.join(dir, 'codeyard') };
        continue;
      }
      if (name !== 'memory' && name !== 'cpu') continue;
      const dir = path.join(root, name, own);
      if (fs.existsSync(path.join(dir, name === 'memory' ? 'memory.limit_in_bytes' : 'cpu.cfs_quota_us')) && writable(dir)) {
        support[name] = { version: 1, dir: path.join(dir, 'codeyard') };
      }
    }
  }
  // cgroup v2: the unified hierarchy, with the controllers enabled for our children.
  const unified = lines.find((l) => l.startsWith('0::'));
  if (unified) {
    for (const base of [root, path.join(root, 'unified')]) {
      const dir = path.join(base, unified.slice(3));
      let delegated: string[] = [];
      try {
        delegated = fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/);
      } catch {
        continue;
      }
      for (const name of ['memory', 'cpu'] as const) {
        if (!support[name] && delegated.includes(name) && writable(dir)) support[name] = { version: 2, dir: path.join(dir, 'codeyard') };
      }
    }
  }
  return support;
}

/** Creates (or resets) the cgroups of one repl; answers the `cgroup.procs` files to join. */
export function createReplCgroups(support: CgroupSupport, replId: string, limits: CgroupLimits): string[] {
  const procs: string[] = [];
  if (support.memory) {
    const dir = path.join(support.memory.dir, replId);
    fs.mkdirSync(dir, { recursive: true });
    if (support.memory.version === 1) {
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // With swap accounting, swap counts too: a hog is stopped, not swapped out.
      try {
        fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      } catch {
        // no swap accounting on this kernel
      }
    } else {
      fs.writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
      fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
    }
    procs.push(path.join(dir, 'cgroup.procs'));
  }
  if (support.cpu) {
    const dir = path.join(support.cpu.dir, replId);
    fs.mkdirSync(dir, { recursive: true });
    const period = 100_000;
    const quota = Math.max(1000, Math.round(limits.cpus * period));
    if (support.cpu.version === 1) {
      fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(period));
      fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    } else {
      fs.writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${period}`);
    }
    procs.push(path.join(dir, 'cgroup.procs'));
  }
  // Counting only (no limit): joined unless it is the cpu folder itself (co-mounted).
  if (support.cpuacct && !sameDir(support.cpuacct.dir, support.cpu?.dir)) {
    const dir = path.join(support.cpuacct.dir, replId);
    fs.mkdirSync(dir, { recursive: true });
    procs.push(path.join(dir, 'cgroup.procs'));
  }
  return procs;
}

/**
 * Lowers the memory limit of a sandbox's cgroup that processes already run in (a warm sandbox
 * becoming a repl with a lower limit of its own): cgroup v2's memory.max and v1's limit take a
 * lower value live; the kernel reclaims down to it (v1 refuses with EBUSY when it cannot). With
 * v1 swap accounting, the memory limit goes down first (memsw may never be below it). False when
 * the kernel refused.
 */
export function lowerMemoryLimit(support: CgroupSupport, sandboxId: string, bytes: number): boolean {
  if (!support.memory) return true;
  const dir = path.join(support.memory.dir, sandboxId);
  try {
    if (support.memory.version === 2) {
      fs.writeFileSync(path.join(dir, 'memory.max'), String(bytes));
      return true;
    }
    fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(bytes));
    try {
      fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(bytes));
    } catch {
      // no swap accounting on this kernel
    }
    return true;
  } catch {
    return false;
  }
}

function sameDir(a: string, b: string | undefined): boolean {
  if (!b) return false;
  try {
    return fs.realpathSync(path.dirname(a)) === fs.realpathSync(path.dirname(b));
  } catch {
    return a === b;
  }
}

/** Removes a repl's cgroups once nothing runs in them; leftovers are retried at the next stop. */
export function removeReplCgroups(support: CgroupSupport, replId: string): void {
  for (const controller of [support.memory, support.cpu, support.cpuacct]) {
    if (!controller) continue;
    try {
      fs.rmdirSync(path.join(controller.dir, replId));
    } catch {
      // still busy, or already gone
    }
  }
}

/** Wraps a command so that it joins the cgroups first: `sh -c 'echo $$ > procs… && exec "$@"'`. */
export function joinCgroupsCommand(procsFiles: string[], file: string, args: string[]): { file: string; args: string[] } {
  if (procsFiles.length === 0) return { file, args };
  const joins = procsFiles.map((_, i) => `echo $$ > "$${i + 1}"`).join(' && ');
  const shift = `shift ${procsFiles.length}`;
  return { file: '/bin/sh', args: ['-c', `${joins} && ${shift} && exec "$@"`, 'codeyard-cgroup', ...procsFiles, file, ...args] };
}
