import os from 'node:os';
import { describeError } from '@codeyard/common/errors';
import type { ReplId } from '@codeyard/common/repl-id';
import type { StackManifest } from '../templates/manifest.js';
import type { SandboxHandle, SandboxId } from './runtime.js';

/** How long a taken warm sandbox waits for its repl's start to claim it before it is ended. */
export const TAKEN_WARM_MS = 2 * 60_000;

/** What the pool needs from a driver: its own sandboxes, started and ended. */
export interface WarmDriver<S extends { id: SandboxId }> {
  /** Starts a sandbox of the stack that belongs to no repl yet. */
  launch(manifest: StackManifest): Promise<S>;
  /** Ends a sandbox that never became (or stays) a running repl, and removes what it held. */
  discard(sandbox: S): Promise<void>;
  /** Is it still running? A dead one is discarded rather than handed out. */
  alive(sandbox: S): boolean;
  /** May a sandbox be started now (what it needs is installed)? Else the pool waits. */
  canLaunch(): Promise<boolean>;
  log: { warn(obj: object, msg: string): void };
}

interface Taken<S> {
  sandbox: S;
  handle: SandboxHandle;
  /** The repl the repl service bound it to; none until it is bound. */
  repl?: ReplId;
  timer: NodeJS.Timeout;
}

/**
 * The warm pool's policy, the same for every driver: `size` sandboxes per stack started ahead,
 * refilled in the background one at a time and not while the machine is busy (running repls
 * come first). A sandbox leaves the pool as a handle, is bound to the stopped repl the service
 * is starting (repls/warm-start.ts), and is claimed by that start; one held too long is ended
 * (it runs outside every running limit).
 */
export class WarmPool<S extends { id: SandboxId }> {
  readonly #driver: WarmDriver<S>;
  readonly #ready = new Map<string, S[]>();
  readonly #taken = new Map<SandboxId, Taken<S>>();
  #stacks: StackManifest[] = [];
  #size = 0;
  /** The 1-minute load average above which the pool waits to refill. */
  #maxLoad = os.cpus().length;
  #timer?: NodeJS.Timeout;
  #refilling = false;
  #closed = false;
  /** Whether the machine has room for one more sandbox (the capacity gate's answer); always, until set. */
  #room: () => boolean = () => true;

  readonly #takenMs: number;

  /** `takenMs`: how long a taken sandbox waits for its repl's start to claim it (TAKEN_WARM_MS). */
  constructor(driver: WarmDriver<S>, options: { takenMs?: number } = {}) {
    this.#driver = driver;
    this.#takenMs = options.takenMs ?? TAKEN_WARM_MS;
  }

  /** Keeps `size` sandboxes of each of `stacks` started ahead; 0 turns the pool off. */
  configure(stacks: readonly StackManifest[], size: number, options: { maxLoad?: number } = {}): void {
    this.#stacks = [...stacks];
    this.#size = size;
    this.#maxLoad = options.maxLoad ?? os.cpus().length;
    if (size > 0) this.#refillSoon(0);
  }

  /** Ready sandboxes per stack. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#stacks.map((m) => [m.id, this.#ready.get(m.id)?.length ?? 0]));
  }

  /** Every sandbox the pool holds, ready or taken (the driver's recovery and tests look). */
  held(): S[] {
    return [...[...this.#ready.values()].flat(), ...[...this.#taken.values()].map((t) => t.sandbox)];
  }

  /** Hands out a ready sandbox of the stack, if there is one; it is ended unless bound and started soon. */
  take(stack: string): SandboxHandle | undefined {
    const entries = this.#ready.get(stack) ?? [];
    while (entries.length) {
      const sandbox = entries.shift()!;
      this.#refillSoon(1000);
      if (!this.#driver.alive(sandbox)) {
        void this.#driver.discard(sandbox).catch(() => undefined);
        continue;
      }
      const handle: SandboxHandle = Object.freeze({ sandboxId: sandbox.id, stack });
      const timer = setTimeout(() => void this.release(handle), this.#takenMs);
      timer.unref();
      this.#taken.set(sandbox.id, { sandbox, handle, timer });
      return handle;
    }
    return undefined;
  }

  /** Binds a taken sandbox to a repl; false when it is gone (expired) or the repl has one already (one start claims one). */
  bind(handle: SandboxHandle, repl: ReplId): boolean {
    const taken = this.#taken.get(handle.sandboxId);
    if (!taken || taken.repl || [...this.#taken.values()].some((t) => t.repl === repl)) return false;
    taken.repl = repl;
    return true;
  }

  /** The sandbox bound to `repl`, now the caller's (its start); undefined when there is none. */
  claim(repl: ReplId): S | undefined {
    for (const [id, taken] of this.#taken) {
      if (taken.repl !== repl) continue;
      this.#taken.delete(id);
      clearTimeout(taken.timer);
      return taken.sandbox;
    }
    return undefined;
  }

  /** Ends a taken sandbox (its repl was not made, or not started in time). */
  async release(handle: SandboxHandle): Promise<void> {
    const taken = this.#taken.get(handle.sandboxId);
    if (!taken) return;
    this.#taken.delete(handle.sandboxId);
    clearTimeout(taken.timer);
    await this.#driver.discard(taken.sandbox).catch((err: unknown) => this.#driver.log.warn({ sandbox: handle.sandboxId, err: describeError(err) }, 'could not end a warm sandbox'));
  }

  /** Ends the sandbox bound to `repl`, if one waits for it (the repl is deleted while its start waits). */
  async releaseFor(repl: ReplId): Promise<void> {
    const sandbox = this.claim(repl);
    if (sandbox) await this.#driver.discard(sandbox);
  }

  /** From now on a sandbox is started only while `room()` says the machine has room for it. */
  gate(room: () => boolean): void {
    this.#room = room;
  }

  /**
   * Ends one ready sandbox (of the stack with the most ready) to make room for a repl; false when
   * none is ready. The refill waits until the gate says there is room again.
   */
  async shed(): Promise<boolean> {
    const entries = [...this.#ready.values()].sort((a, b) => b.length - a.length)[0];
    const sandbox = entries?.shift();
    if (!sandbox) return false;
    await this.#driver.discard(sandbox).catch((err: unknown) => this.#driver.log.warn({ sandbox: sandbox.id, err: describeError(err) }, 'could not end a warm sandbox'));
    this.#refillSoon(10_000);
    return true;
  }

  /** Ends every sandbox the pool holds and refills no more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const all = this.held();
    for (const taken of this.#taken.values()) clearTimeout(taken.timer);
    this.#ready.clear();
    this.#taken.clear();
    await Promise.all(all.map((sandbox) => this.#driver.discard(sandbox).catch(() => undefined)));
  }

  #refillSoon(delayMs: number): void {
    if (this.#closed || this.#size <= 0 || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refill();
    }, delayMs);
    this.#timer.unref();
  }

  async #refill(): Promise<void> {
    if (this.#refilling || this.#closed) return;
    this.#refilling = true;
    try {
      for (const manifest of this.#stacks) {
        const entries = this.#ready.get(manifest.id) ?? [];
        this.#ready.set(manifest.id, entries);
        while (entries.length < this.#size && !this.#closed) {
          // Running repls come first: a busy machine waits with the refill.
          if (os.loadavg()[0]! > this.#maxLoad) return this.#refillSoon(10_000);
          if (!(await this.#driver.canLaunch())) return this.#refillSoon(30_000);
          // Repls waiting for room, or a machine near its capacity: a warm sandbox would take their place.
          if (!this.#room()) return this.#refillSoon(10_000);
          const sandbox = await this.#driver.launch(manifest);
          // Closed while it started: it is not kept.
          if (this.#closed) await this.#driver.discard(sandbox).catch(() => undefined);
          else entries.push(sandbox);
        }
      }
    } catch (err) {
      this.#driver.log.warn({ err: describeError(err) }, 'could not start a warm sandbox; trying again later');
      this.#refillSoon(30_000);
    } finally {
      this.#refilling = false;
    }
  }
}
