import type { ReplEnv } from '@codeyard/common/agent/protocol';

/**
 * The repl's secrets, held in memory only (never written to the sandbox's disk, never logged):
 * set into the one environment object the app's Run, its install step and exec spawn with (the
 * agent shares it by reference), so the next of each sees the current set. A running app keeps
 * the environment it started with, as any process does: a change reaches it at its next Run or
 * Restart. New terminals get the set from the VS Code extension, which polls GET /env.
 */
export class SecretEnv {
  readonly #env: NodeJS.ProcessEnv;
  #version = 0;
  #variables: Record<string, string> = {};
  /** What a secret replaced in the environment (undefined: it was unset), put back when the secret goes. */
  readonly #shadowed = new Map<string, string | undefined>();

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  get(): ReplEnv {
    return { version: this.#version, variables: { ...this.#variables } };
  }

  /** Replaces the whole set (the portal always sends every secret; `{}` clears them). */
  set(variables: Readonly<Record<string, string>>): ReplEnv {
    for (const name of Object.keys(this.#variables)) {
      if (name in variables) continue;
      const before = this.#shadowed.get(name);
      if (before === undefined) delete this.#env[name];
      else this.#env[name] = before;
      this.#shadowed.delete(name);
    }
    for (const [name, value] of Object.entries(variables)) {
      if (!this.#shadowed.has(name) && !(name in this.#variables)) this.#shadowed.set(name, this.#env[name]);
      this.#env[name] = value;
    }
    this.#variables = { ...variables };
    this.#version++;
    return this.get();
  }
}
