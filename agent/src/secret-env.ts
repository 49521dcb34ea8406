import type { ReplEnv } from '@codeyard/common/agent/protocol';

/**
 * The repl's secrets, held in memory only (never written to the sandbox's disk, never logged):
 * set into the one environment object the app's Run, its install step and exec spawn with (the
 * agent shares it by reference), so the next of each sees the current set. A running app keeps
 * the environment it started with, as any process does: a change reaches it at its next Run or
 * Restart. New terminals get the set from the VS Code extension, which polls GET /env.
 *
 * Each portal replica pushes the whole set with the revision it read it at: a set older than the
 * one held is not taken (a push that came late, from another replica or a start racing a
 * change), so the newest set stays whatever order the pushes arrive in.
 */
export class SecretEnv {
  readonly #env: NodeJS.ProcessEnv;
  #version = 0;
  #revision = 0;
  #variables: Record<string, string> = {};
  /** What a secret replaced in the environment (undefined: it was unset), put back when the secret goes. */
  readonly #shadowed = new Map<string, string | undefined>();

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  get(): ReplEnv {
    return { version: this.#version, revision: this.#revision, variables: { ...this.#variables } };
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

  /** Whether a set of `revision` would be taken: not older than the one held (none: taken as it comes). */
  takes(revision: number | undefined): boolean {
    return revision === undefined || revision >= this.#revision;
  }

  /**
   * Replaces the whole set (the portal always sends every secret; `{}` clears them) unless
   * `revision` is older than the one held; the answer is the set held afterwards either way.
   */
  set(variables: Readonly<Record<string, string>>, revision?: number): ReplEnv {
    if (!this.takes(revision)) return this.get();
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
    if (revision !== undefined) this.#revision = revision;
    this.#version++;
    return this.get();
  }
}
