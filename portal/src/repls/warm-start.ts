import { describeError } from '@codeyard/common/errors';
import type { ReplSpec, Runtime, SandboxHandle, SandboxId } from '../runtime/runtime.js';
import type { Template } from '../templates/catalog.js';

/**
 * What of a ReplSpec a warm sandbox takes on when it becomes the repl (the driver's activation:
 * the repl's id and workspace for the restore, what the IDE shows, the owner's label, a memory
 * limit of its own: the process runtime lowers the sandbox's live, or starts cold when it cannot;
 * the kubernetes runtime's warmFits says no when its pod would have to shrink). A spec with
 * anything else set starts cold: a new field is cold until it is added here, with its drivers'
 * activation applying it.
 */
export const WARM_SPEC_FIELDS: ReadonlySet<string> = new Set(['id', 'manifest', 'workspacePrefix', 'info', 'owner', 'memoryLimitBytes']);

/**
 * Why this start may not take a warm sandbox (undefined: it may). A warm sandbox was started
 * for its stack's template manifest (its run command, port, limits, IDE extensions) before any
 * repl existed, so it is a cold start's equal only for a repl of the same manifest with nothing
 * of its own the sandbox could not take on, on a driver that keeps nothing of the repl between
 * runs that a warm sandbox lacks (Runtime.warmFits).
 */
export function coldReason(spec: ReplSpec, runtime: Runtime, templates: ReadonlyMap<string, Template>): string | undefined {
  if (!runtime.takeWarm || !runtime.adoptWarm || !runtime.warmFits) return 'the runtime keeps no warm pool';
  const own = Object.entries(spec).filter(([key, value]) => value !== undefined && !WARM_SPEC_FIELDS.has(key)).map(([key]) => key);
  if (own.length) return `the repl has its own ${own.join(', ')}, which a running sandbox cannot take on`;
  const template = templates.get(spec.manifest.id);
  if (!template || canonical(spec.manifest) !== canonical(template.manifest)) return "the repl's manifest is not its stack template's (the one warm sandboxes run)";
  if (!runtime.warmFits(spec)) return 'the runtime keeps state of this repl that a warm sandbox does not have';
  return undefined;
}

/** JSON with keys sorted: a manifest read back from the database equals the template's it came from. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

export interface WarmStartOptions {
  runtime: Runtime;
  templates: ReadonlyMap<string, Template>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Starts of stopped repls served from the warm pool: a class copy nobody opened yet, a repl
 * made and not started, a stopped repl on a driver that keeps nothing of it. The sandbox is
 * taken once the account's limit admitted the start (a refused start takes nothing) and before
 * the machine's admission, which counts it as this start and not as warm too; it is bound to
 * the repl, and the runtime's start claims it and only restores the files. A start that does not
 * go ahead (the server is full, it failed first) gives it back: it is ended, which frees room.
 */
export class WarmStarts {
  readonly #o: WarmStartOptions;
  /** Repls whose start holds (or looks for) a warm sandbox now: a second visit at once takes none. */
  readonly #busy = new Set<string>();

  constructor(options: WarmStartOptions) {
    this.#o = options;
  }

  /** Runs `admit` (the machine's admission and the start) with a warm sandbox bound to the repl when one fits and is ready. */
  async around(spec: ReplSpec, admit: (adopts?: SandboxId) => Promise<void>): Promise<void> {
    const handle = this.#busy.has(spec.id) ? undefined : this.#take(spec);
    if (!handle) return admit();
    this.#busy.add(spec.id);
    try {
      await admit(handle.sandboxId);
    } finally {
      this.#busy.delete(spec.id);
      // Claimed by the start: nothing to give back. Otherwise it waited for a start that did not come.
      await this.#o.runtime.releaseWarm?.(handle).catch((err: unknown) => this.#o.log.error({ replId: spec.id, err: describeError(err) }, 'could not end a warm sandbox'));
    }
  }

  #take(spec: ReplSpec): SandboxHandle | undefined {
    const { runtime } = this.#o;
    // Running, starting, stopping: no start of a stopped repl is coming.
    const state = runtime.status(spec.id).state;
    if (state !== 'stopped' && state !== 'error') return undefined;
    if (coldReason(spec, runtime, this.#o.templates)) return undefined;
    const handle = runtime.takeWarm?.(spec.manifest.id);
    if (!handle) return undefined;
    if (runtime.adoptWarm?.(handle, spec.id)) return handle;
    // Another start of the same repl holds one already: this one is not needed.
    void runtime.releaseWarm?.(handle).catch(() => undefined);
    return undefined;
  }
}
