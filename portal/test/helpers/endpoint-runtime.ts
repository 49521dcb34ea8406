import type { ExecResult } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import type { Endpoints, Runtime, RuntimeDescription, RuntimeStatus } from '../../src/runtime/runtime.js';

const NOT_ENFORCED = { enforced: false, reason: 'a test double runs nothing' };

/**
 * A runtime double that runs nothing: a repl is "running" once the test hands it endpoints
 * ({@link EndpointRuntime.run}) and those are where the portal and the proxy reach its parts
 * (an agent socket the test serves, an upstream app). With `everyRepl`, every repl runs at
 * those endpoints (the proxy bench: any repl is the one upstream). Stacks are all available.
 */
export class EndpointRuntime implements Runtime {
  readonly name = 'endpoint-double';
  readonly #running = new Map<string, Endpoints>();
  readonly #listeners = new Set<(id: string, status: RuntimeStatus) => void>();

  constructor(private readonly options: { everyRepl?: Endpoints } = {}) {}

  /** The repl runs from now on, reached at `endpoints`. */
  run(id: string, endpoints: Endpoints): void {
    this.#running.set(id, endpoints);
    this.#announce(id);
  }

  #announce(id: string): void {
    for (const listener of this.#listeners) listener(id, this.status(id));
  }

  describe(): RuntimeDescription {
    return { driver: this.name, sandbox: 'none', network: 'host', uidPerRepl: false, limits: { processes: NOT_ENFORCED, openFiles: NOT_ENFORCED, memory: NOT_ENFORCED, cpu: NOT_ENFORCED, disk: NOT_ENFORCED } };
  }
  async checkStack(): Promise<{ available: boolean }> {
    return { available: true };
  }
  async create(): Promise<void> {}
  async start(spec: { id: string }): Promise<void> {
    if (!this.endpoints(spec.id)) throw new AppError('UNAVAILABLE', 'this test double starts nothing: the test gives a repl its endpoints with run()');
  }
  async stop(id: string): Promise<void> {
    this.#running.delete(id);
    this.#announce(id);
  }
  async delete(id: string): Promise<void> {
    await this.stop(id);
  }
  status(id: string): RuntimeStatus {
    return { state: this.endpoints(id) ? 'running' : 'stopped', since: new Date(0).toISOString() };
  }
  watch(listener: (id: string, status: RuntimeStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async exec(): Promise<ExecResult> {
    throw new AppError('UNAVAILABLE', 'this test double runs no commands');
  }
  workspacePath(): string {
    return '/workspace';
  }
  endpoints(id: string): Endpoints | undefined {
    return this.#running.get(id) ?? this.options.everyRepl;
  }
  active(): string[] {
    return [...this.#running.keys()];
  }
  async recover(): Promise<{ adopted: string[]; saved: string[] }> {
    return { adopted: [], saved: [] };
  }
  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
