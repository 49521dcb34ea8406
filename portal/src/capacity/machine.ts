import fs from 'node:fs';
import os from 'node:os';

/** What this machine has, as /proc/meminfo and the scheduler say. */
export interface MachineMemory {
  totalBytes: number;
  /** The kernel's estimate of what can be given out without swapping (MemAvailable). */
  availableBytes: number;
}

/** MemTotal and MemAvailable from /proc/meminfo (kB lines); undefined where it cannot be read. */
export function parseMeminfo(text: string): MachineMemory | undefined {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const totalBytes = field('MemTotal');
  if (totalBytes === undefined) return undefined;
  return { totalBytes, availableBytes: field('MemAvailable') ?? field('MemFree') ?? 0 };
}

/** The machine's memory now (os.totalmem/freemem where /proc is not there). */
export function readMachineMemory(meminfo = '/proc/meminfo'): MachineMemory {
  try {
    const parsed = parseMeminfo(fs.readFileSync(meminfo, 'utf8'));
    if (parsed) return parsed;
  } catch {
    // not Linux: Node's own figures
  }
  return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
}

/** What repls may use on this machine, fixed at start. */
export interface Capacity {
  /** Memory for repls and warm sandboxes together. */
  memoryBytes: number;
  /** Kept for everything else (the portal, the system, file cache) and as headroom. */
  reserveBytes: number;
  /** CPU cores the machine has (reported; not an admission limit, see capacity-gate.ts). */
  cpus: number;
  /** `measured` at start (MemTotal less the reserve) or `configured` (CODEYARD_CAPACITY_MEMORY_MB). */
  source: 'measured' | 'configured';
}

/**
 * The capacity at start: the configured figure, or the machine's memory less the reserve. A
 * configured figure is how an operator shares the machine with other services, and how the tests
 * make a small machine out of a large one.
 */
export function machineCapacity(options: { configuredBytes?: number; reserveBytes: number }, machine: MachineMemory = readMachineMemory(), cpus = os.availableParallelism()): Capacity {
  if (options.configuredBytes) return { memoryBytes: options.configuredBytes, reserveBytes: options.reserveBytes, cpus, source: 'configured' };
  return { memoryBytes: Math.max(0, machine.totalBytes - options.reserveBytes), reserveBytes: options.reserveBytes, cpus, source: 'measured' };
}
