import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ReplId } from '@codeyard/common/repl-id';
import type { Endpoints } from '../../src/runtime/runtime.js';

/**
 * A stand-in for repl agents' env routes (a test double, not the agent): one HTTP server per
 * repl on a unix socket, answering GET/PUT /env as agent/src does (a set older than the revision
 * held is not taken, and the answer is what it holds) and recording every set it took, for a
 * portal on MemoryRuntime (whose `endpoints` option points here). {@link holdNext} keeps a PUT
 * waiting until the test lets it through, so pushes can be made to arrive out of order. POST /app/start, /app/restart
 * and /app/policy answer a running app (so the order of env and app can be seen in `calls`);
 * every other route is a 404.
 * `failing` makes a repl's agent answer 500 (an agent the portal cannot reach in time).
 */
export class EnvAgentDouble {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-env-agent-'));
  /** Every set each repl's agent took, in order. */
  readonly pushes = new Map<string, Array<Record<string, string>>>();
  /** The revision of every set each repl's agent was sent and did not take (it held a newer one). */
  readonly late = new Map<string, number[]>();
  /** The revision each repl's agent holds. */
  readonly revisions = new Map<string, number>();
  readonly #holds = new Map<string, Array<Promise<void>>>();
  readonly failing = new Set<string>();
  /** Every request each repl's agent had, as `METHOD /path`, in order. */
  readonly calls = new Map<string, string[]>();
  readonly #servers = new Map<string, http.Server>();

  /** Where MemoryRuntime's repl `id` answers: its agent here, its IDE and ports nowhere. */
  endpoints = (id: ReplId): Endpoints => {
    const socket = (name: string): string => path.join(this.dir, `${id}.${name}.sock`);
    return { ide: { kind: 'unix', socketPath: socket('ide') }, agent: { kind: 'unix', socketPath: socket('agent') }, port: (port) => ({ kind: 'tunnel', socketPath: socket('tunnel'), port }) };
  };

  /** Starts repl `id`'s agent double (before the repl starts). */
  async serve(id: string): Promise<void> {
    if (this.#servers.has(id)) return;
    let version = 0;
    let current: Record<string, string> = {};
    const held = () => ({ version, revision: this.revisions.get(id) ?? 0, variables: current });
    const server = http.createServer((req, res) => {
      this.calls.set(id, [...(this.calls.get(id) ?? []), `${req.method} ${req.url}`]);
      if (req.method === 'POST' && ['/app/start', '/app/restart', '/app/policy'].includes(req.url ?? '')) {
        req.resume();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ running: true, startedAt: new Date().toISOString() }));
      }
      if (req.url !== '/env') return void res.writeHead(404).end();
      if (this.failing.has(id)) return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'double told to fail' } }));
      if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(held()));
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      const hold = this.#holds.get(id)?.shift();
      req.on('end', async () => {
        await hold;
        const sent = JSON.parse(body) as { variables: Record<string, string>; revision?: number };
        if (sent.revision !== undefined && sent.revision < (this.revisions.get(id) ?? 0)) {
          this.late.set(id, [...(this.late.get(id) ?? []), sent.revision]);
        } else {
          current = sent.variables;
          version++;
          if (sent.revision !== undefined) this.revisions.set(id, sent.revision);
          this.pushes.set(id, [...(this.pushes.get(id) ?? []), current]);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(held()));
      });
    });
    await new Promise<void>((resolve) => server.listen(path.join(this.dir, `${id}.agent.sock`), resolve));
    this.#servers.set(id, server);
  }

  /** Keeps the next PUT /env to repl `id`'s agent waiting until the returned function lets it through. */
  holdNext(id: string): () => void {
    let release!: () => void;
    this.#holds.set(id, [...(this.#holds.get(id) ?? []), new Promise<void>((r) => (release = r))]);
    return release;
  }

  /** The last set repl `id`'s agent was given (undefined: none ever). */
  last(id: string): Record<string, string> | undefined {
    return this.pushes.get(id)?.at(-1);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
