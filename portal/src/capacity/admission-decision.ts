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
 * at the estimate; every warm sandbox at what it uses. A repl with a memory limit of its own
 * below the estimate (a class's per-student limit) is expected to need that limit instead,
 * wherever the estimate stands for it. Not the server's per-repl memory limit: that is a
 * ceiling for one repl, and counting it for all would hold a machine to a fraction of what it
 * really fits (8 GiB / 2 GiB = 4 repls, against the 20 the issue asks for).
 */
export interface AdmissionInput {
  /** Memory for repls and warm sandboxes (Capacity.memoryBytes). */
  capacityBytes: number;
  /** A typical repl's footprint: what a start is taken to need. */
  estimateBytes: number;
  /**
   * Every repl that runs or starts; `fresh` ones count at least their expected footprint: the
   * estimate, or `estimateBytes`, the repl's own memory limit, when that is lower (a repl held to
   * less can never need more).
   */
  repls: Array<{ memoryBytes?: number; fresh: boolean; estimateBytes?: number }>;
  /** Starts admitted that the runtime does not show yet: how many (the estimate each), or each one's own limit (undefined: the estimate). */
  reserved: number | ReadonlyArray<number | undefined>;
  /** The own memory limit of the repl whose start is decided, when it has one; else it is taken to need the estimate. */
  startBytes?: number;
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
  // What one repl is expected to need: the typical footprint, or its own limit when lower.
  const expected = (own?: number): number => (own === undefined ? input.estimateBytes : Math.min(own, input.estimateBytes));
  const reserved = typeof input.reserved === 'number' ? input.reserved * input.estimateBytes : input.reserved.reduce<number>((sum, own) => sum + expected(own), 0);
  let replBytes = 0;
  // The part of the estimate fresh repls have not taken yet: the live check must leave it free.
  let growing = reserved;
  for (const repl of input.repls) {
    const expect = expected(repl.estimateBytes);
    const measured = repl.memoryBytes ?? expect;
    replBytes += repl.fresh ? Math.max(measured, expect) : measured;
    if (repl.fresh) growing += Math.max(0, expect - measured);
  }
  const warmBytes = input.warm.reduce((sum, w) => sum + (w.memoryBytes ?? 0), 0);
  const chargedBytes = replBytes + reserved + warmBytes;
  const start = expected(input.startBytes);
  let shortBytes = Math.max(0, chargedBytes + start - input.capacityBytes);
  if (input.availableBytes !== undefined) shortBytes = Math.max(shortBytes, growing + start - input.availableBytes);
  return { fits: shortBytes === 0, chargedBytes, warmBytes, shortBytes };
}
