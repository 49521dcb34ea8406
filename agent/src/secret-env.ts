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

  /** The environment as it is without the secrets (what they replaced put back): a teacher's grading command runs with this. */
  withoutSecrets(): NodeJS.ProcessEnv {
    const env = { ...this.#env };
    for (const name of Object.keys(this.#variables)) {
      const before = this.#shadowed.get(name);
      if (before === undefined) delete env[name];
      else env[name] = before;
    }
    return env;
  }

  /** Replaces the whole set (the portal always sends every secret; `{}` clears them). */
  set(variables: Readonly<Record<string, string>>): ReplEnv {
    // Own properties only: a secret named constructor or toString is no object's inherited member.
    for (const name of Object.keys(this.#variables)) {
      if (Object.hasOwn(variables, name)) continue;
      const before = this.#shadowed.get(name);
      if (before === undefined) delete this.#env[name];
      else this.#env[name] = before;
      this.#shadowed.delete(name);
    }
    for (const [name, value] of Object.entries(variables)) {
      if (!this.#shadowed.has(name) && !Object.hasOwn(this.#variables, name)) this.#shadowed.set(name, Object.hasOwn(this.#env, name) ? this.#env[name] : undefined);
      this.#env[name] = value;
    }
    this.#variables = { ...variables };
    this.#version++;
    return this.get();
  }
}
