/**
 * The admission rule, as a pure function (table-tested): may one more repl start now?
 *
 * Memory is the hard resource: a machine out of memory has its kernel kill processes, which
 * loses work; too little CPU only makes everyone slower (and each repl's CPU quota bounds what
 * one can take). So memory decides, CPU is reported.
 *
 * What counts: every repl that runs, at what it is measured to use; a repl that is starting or
 * started in the last minute (it grows as VS Code loads and a browser connects) at no less than
 * the typical repl's footprint (the estimate); starts admitted but not visible in the runtime yet
 * at the estimate; every warm sandbox at what it uses. Not the per-repl memory limit: that is a
 * ceiling for one repl, and counting it for all would hold a machine to a fraction of what it
 * really fits (8 GiB / 2 GiB = 4 repls, against the 20 the issue asks for).
 */
export interface AdmissionInput {
  /** Memory for repls and warm sandboxes (Capacity.memoryBytes). */
  capacityBytes: number;
  /** A typical repl's footprint: what a start is taken to need. */
  estimateBytes: number;
  /** Every repl that runs or starts; `fresh` ones count at least the estimate. */
  repls: Array<{ memoryBytes?: number; fresh: boolean }>;
  /** Starts admitted that the runtime does not show yet: the estimate each. */
  reserved: number;
  warm: Array<{ memoryBytes?: number }>;
  /**
   * What the machine can still give out now (MemAvailable less the reserve), when known: the
   * second check, against memory used by anything else on the machine.
   */
  availableBytes?: number;
}

export interface AdmissionOutcome {
  fits: boolean;
  /** What repls and warm sandboxes are counted at now. */
  chargedBytes: number;
  /** Of which warm sandboxes (what ending them all would free). */
  warmBytes: number;
  /** Memory still missing for one more start (0 when it fits). */
  shortBytes: number;
}

/** Counts what runs against the capacity and says whether one more start fits. */
export function decideAdmission(input: AdmissionInput): AdmissionOutcome {
  const { estimateBytes } = input;
  let replBytes = 0;
  // The part of the estimate fresh repls have not taken yet: the live check must leave it free.
  let growing = input.reserved * estimateBytes;
  for (const repl of input.repls) {
    const measured = repl.memoryBytes ?? estimateBytes;
    replBytes += repl.fresh ? Math.max(measured, estimateBytes) : measured;
    if (repl.fresh) growing += Math.max(0, estimateBytes - measured);
  }
  const warmBytes = input.warm.reduce((sum, w) => sum + (w.memoryBytes ?? 0), 0);
  const chargedBytes = replBytes + input.reserved * estimateBytes + warmBytes;
  let shortBytes = Math.max(0, chargedBytes + estimateBytes - input.capacityBytes);
  if (input.availableBytes !== undefined) shortBytes = Math.max(shortBytes, growing + estimateBytes - input.availableBytes);
  return { fits: shortBytes === 0, chargedBytes, warmBytes, shortBytes };
}
