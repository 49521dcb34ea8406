import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU time of groups of processes over a visit, sampled from /proc: which side (the browser, the
 * repl's VS Code, the portal) had the machine's cores when. Used by the first visit's trace.
 */

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux.

/** The whole machine's busy time (all cores, every process), from /proc/stat: pid 0 here. */
function machineTicks(): number | undefined {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).map(Number);
    return user! + nice! + system! + irq! + softirq! + steal!;
  } catch {
    return undefined;
  }
}

function cpuTicks(pid: number): number | undefined {
  if (pid === 0) return machineTicks();
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command (which may hold spaces), from its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Every descendant of `root` (itself included), from /proc's parent links. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

export interface CpuTimeline {
  /** Bucket width, ms. */
  bucketMs: number;
  /** CPU ms used per bucket by each group, from t0. */
  groups: Record<string, number[]>;
}

/**
 * Samples every `everyMs` the CPU time of each group (`groups()` is asked again each time, so a
 * process started meanwhile, such as the extension host, is counted). Bounded: stops by itself
 * after `maxMs`.
 */
export function sampleCpu(groups: () => Record<string, number[]>, t0: number, options: { bucketMs?: number; everyMs?: number; maxMs?: number } = {}): { stop(): CpuTimeline } {
  const bucketMs = options.bucketMs ?? 250;
  const last = new Map<number, number>();
  const totals: Record<string, number[]> = {};
  const sample = (): void => {
    const bucket = Math.max(0, Math.floor((performance.now() - t0) / bucketMs));
    for (const [name, pids] of Object.entries(groups())) {
      const row = (totals[name] ??= []);
      for (const pid of pids) {
        const ticks = cpuTicks(pid);
        if (ticks === undefined) continue;
        const before = last.get(pid);
        last.set(pid, ticks);
        // A process first seen counts from then on (its earlier time is before the visit or unknown).
        if (before === undefined) continue;
        row[bucket] = (row[bucket] ?? 0) + (ticks - before) * TICK_MS;
      }
    }
  };
  sample();
  const timer = setInterval(sample, options.everyMs ?? 50);
  const limit = setTimeout(() => clearInterval(timer), options.maxMs ?? 120_000);
  return {
    stop() {
      sample();
      clearInterval(timer);
      clearTimeout(limit);
      const width = Math.max(0, ...Object.values(totals).map((r) => r.length));
      return { bucketMs, groups: Object.fromEntries(Object.entries(totals).map(([k, r]) => [k, Array.from({ length: width }, (_, i) => Math.round(r[i] ?? 0))])) };
    },
  };
}
