import fs from 'node:fs';
import path from 'node:path';
import type { SandboxReading } from '../usage.js';
import type { CgroupSupport } from './cgroups.js';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** One `key value` line of a flat-keyed cgroup file (memory.stat, cpu.stat, memory.events, memory.oom_control). */
function keyed(text: string | undefined, key: string): number | undefined {
  const match = text && new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * What one sandbox's cgroups say it uses now: memory as the working set (charged memory less
 * the inactive file cache the kernel drops before it would OOM-kill anything, as the kubelet
 * counts it), CPU time so far, and how many times the kernel's OOM killer struck inside it.
 * Undefined when nothing is readable (no cgroups here, or the sandbox has ended).
 */
export function readCgroupUsage(support: CgroupSupport, sandboxId: string): SandboxReading | undefined {
  const reading: SandboxReading = {};
  if (support.memory) {
    const dir = path.join(support.memory.dir, sandboxId);
    const v1 = support.memory.version === 1;
    const current = Number(readText(path.join(dir, v1 ? 'memory.usage_in_bytes' : 'memory.current')));
    if (Number.isFinite(current) && current > 0) {
      const stat = readText(path.join(dir, 'memory.stat'));
      const inactiveFile = (v1 ? keyed(stat, 'total_inactive_file') : keyed(stat, 'inactive_file')) ?? 0;
      reading.memoryBytes = Math.max(0, current - inactiveFile);
      reading.oomKills = keyed(readText(path.join(dir, v1 ? 'memory.oom_control' : 'memory.events')), 'oom_kill') ?? 0;
    }
  }
  if (support.cpu?.version === 2) {
    const usec = keyed(readText(path.join(support.cpu.dir, sandboxId, 'cpu.stat')), 'usage_usec');
    if (usec !== undefined) reading.cpuUsec = usec;
  } else if (support.cpuacct) {
    const ns = Number(readText(path.join(support.cpuacct.dir, sandboxId, 'cpuacct.usage')));
    if (Number.isFinite(ns) && ns >= 0) reading.cpuUsec = Math.round(ns / 1000);
  }
  return reading.memoryBytes === undefined && reading.cpuUsec === undefined ? undefined : reading;
}
