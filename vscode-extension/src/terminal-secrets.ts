import type { ReplEnv } from '@codeyard/common/agent/protocol';

/** What of VS Code's EnvironmentVariableCollection this needs (a Map-backed double in tests). */
export interface TerminalVariables {
  replace(name: string, value: string): void;
  delete(name: string): void;
}

/**
 * Gives new terminals the repl's secrets. The agent holds them (the portal sets them there);
 * code-server's own environment was fixed when it started, maybe in the warm pool before the
 * repl had any, so terminals get them through the extension's environment collection instead,
 * learnt by polling the agent's GET /env and applied when its version moves. VS Code marks
 * terminals opened before a change as stale, and a relaunch gives them the new set.
 */
export class TerminalSecrets {
  #version = -1;
  #applied = new Set<string>();

  constructor(
    private readonly terminals: TerminalVariables,
    private readonly read: () => Promise<ReplEnv>,
  ) {}

  /** One look at the agent; an agent that does not answer (or an older one without /env) changes nothing. */
  async poll(): Promise<void> {
    const env = await this.read().catch(() => undefined);
    if (!env || env.version === this.#version) return;
    for (const name of this.#applied) if (!Object.hasOwn(env.variables, name)) this.terminals.delete(name);
    for (const [name, value] of Object.entries(env.variables)) this.terminals.replace(name, value);
    this.#applied = new Set(Object.keys(env.variables));
    this.#version = env.version;
  }
}
