import type { ReplId } from '@codeyard/common/repl-id';
import { ReplStates } from './repl-states.js';
import type { RuntimeStatus, SandboxHandle, SandboxId } from './runtime.js';
import { CpuMeter, type RuntimeUsage, type SandboxReading, type SandboxUsage } from './usage.js';
import type { WarmPool } from './warm-pool.js';

/**
 * What every driver answers the same way: a repl's status, watch() and active() from its
 * {@link ReplStates}, and the warm sandboxes counted, taken, bound and given back through its
 * {@link WarmPool}. A driver keeps its own starts and stops, sets `states` as its repls move, and
 * makes its `pool` with its own way of launching a sandbox.
 */
export abstract class PooledRuntime<S extends { id: SandboxId }> {
  protected readonly states = new ReplStates();
  protected abstract readonly pool: WarmPool<S>;
  readonly #cpu = new CpuMeter();

  /** What a running (or starting) repl's sandbox reads now; undefined when it has none yet. */
  protected abstract readRepl(id: ReplId): SandboxReading | undefined;
  /** What a warm sandbox reads now. */
  protected abstract readSandbox(sandbox: S): SandboxReading | undefined;
  /** The stack a warm sandbox was started for. */
  protected abstract stackOf(sandbox: S): string;

  async usage(): Promise<RuntimeUsage> {
    const seen = new Set<string>();
    const measured = (key: string, reading: SandboxReading | undefined): SandboxUsage => {
      seen.add(key);
      if (!reading) return {};
      const cpuPercent = reading.cpuPercent ?? this.#cpu.percent(key, reading.cpuUsec);
      return { memoryBytes: reading.memoryBytes, ...(cpuPercent !== undefined ? { cpuPercent } : {}), ...(reading.oomKills !== undefined ? { oomKills: reading.oomKills } : {}) };
    };
    const repls = new Map<ReplId, SandboxUsage>();
    for (const id of this.active()) repls.set(id, measured(`repl:${id}`, this.readRepl(id)));
    const warm = this.pool.held().map((sandbox) => ({ sandboxId: sandbox.id, stack: this.stackOf(sandbox), usage: measured(`warm:${sandbox.id}`, this.readSandbox(sandbox)) }));
    this.#cpu.keep(seen);
    return { repls, warm };
  }

  shedWarm(): Promise<boolean> {
    return this.pool.shed();
  }

  gateWarm(allowed: () => boolean): void {
    this.pool.gate(allowed);
  }

  status(id: ReplId): RuntimeStatus {
    return this.states.get(id);
  }

  watch(listener: (id: ReplId, status: RuntimeStatus) => void): () => void {
    return this.states.watch(listener);
  }

  active(): ReplId[] {
    return this.states.active();
  }

  /** Ready warm sandboxes per stack (for GET /api/runtime and tests). */
  warmCounts(): Record<string, number> {
    return this.pool.counts();
  }

  takeWarm(stack: string): SandboxHandle | undefined {
    return this.pool.take(stack);
  }

  adoptWarm(handle: SandboxHandle, id: ReplId): boolean {
    return this.pool.bind(handle, id);
  }

  releaseWarm(handle: SandboxHandle): Promise<void> {
    return this.pool.release(handle);
  }
}
