import type { ReplId } from '@codeyard/common/repl-id';
import type { SandboxId } from './runtime.js';

/** What a driver reads from one sandbox (its cgroups, or a double's settable figures). */
export interface SandboxReading {
  /** Working set: memory the kernel cannot simply drop (cgroup usage less inactive file cache). */
  memoryBytes?: number;
  /** CPU time used since the sandbox started, in microseconds (a counter). */
  cpuUsec?: number;
  /** A CPU share measured directly (the test double); else derived from `cpuUsec`. */
  cpuPercent?: number;
  /** Processes the kernel's OOM killer ended inside the sandbox. */
  oomKills?: number;
}

/** What a sandbox uses now, for admission and display. */
export interface SandboxUsage {
  memoryBytes?: number;
  /** CPU over the time since the previous reading; 100 is one core. Absent at the first reading. */
  cpuPercent?: number;
  oomKills?: number;
}

/** Every sandbox a runtime holds on this machine: the repls' and the warm pool's. */
export interface RuntimeUsage {
  repls: Map<ReplId, SandboxUsage>;
  warm: Array<{ sandboxId: SandboxId; stack: string; usage: SandboxUsage }>;
}

/**
 * Turns CPU-time counters into a share of a core: (time used since the last reading) / (time
 * passed). Readings closer together than `minIntervalMs` keep the last share, so a second caller
 * (an admission check right after the sampler) does not replace a steady figure with a noisy one.
 */
export class CpuMeter {
  readonly #last = new Map<string, { usec: number; at: number; percent?: number }>();

  constructor(readonly minIntervalMs = 1000) {}

  percent(key: string, usec: number | undefined, now = Date.now()): number | undefined {
    if (usec === undefined) return undefined;
    const last = this.#last.get(key);
    if (last && now - last.at < this.minIntervalMs) return last.percent;
    // A counter that went back is a new sandbox under the same key: start over.
    const percent = last && usec >= last.usec ? Math.round(((usec - last.usec) / 1000 / (now - last.at)) * 1000) / 10 : undefined;
    this.#last.set(key, { usec, at: now, percent });
    return percent;
  }

  /** Forgets every key not in `live` (sandboxes that ended). */
  keep(live: Set<string>): void {
    for (const key of this.#last.keys()) if (!live.has(key)) this.#last.delete(key);
  }
}
