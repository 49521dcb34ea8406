import type { ReplId } from '@codeyard/common/repl-id';
import { ReplStates } from './repl-states.js';
import type { RuntimeStatus, SandboxHandle, SandboxId } from './runtime.js';
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

  adoptWarm(handle: SandboxHandle, id: ReplId): void {
    this.pool.bind(handle, id);
  }

  releaseWarm(handle: SandboxHandle): Promise<void> {
    return this.pool.release(handle);
  }
}
