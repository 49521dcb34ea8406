import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrantSigner } from '@codeyard/common/tickets';
import type { CapacityGate } from '../../src/capacity/capacity-gate.js';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import { ReplService, type ReplServiceOptions } from '../../src/repls/repl-service.js';
import { MemoryRuntime, type MemoryRuntimeOptions } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { loadTemplates, seedTemplates, type Template } from '../../src/templates/catalog.js';

/** The repository's own templates/ folder. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../../templates/', import.meta.url));

/** A log that says nothing (the tests check outcomes, not log lines). */
export const quietLog = { info() {}, error() {} };

let loaded: Promise<Template[]> | undefined;

/** The repository's templates, read from disk once per test process. */
export function repoTemplates(): Promise<Template[]> {
  return (loaded ??= loadTemplates(TEMPLATES_DIR));
}

export interface MemoryRepls {
  service: ReplService;
  store: MemoryStore;
  runtime: MemoryRuntime;
  database: Database;
  signer: GrantSigner;
  templates: readonly Template[];
  /** Every key the store holds under `prefix`. */
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A repl service on test doubles (MemoryStore, MemoryRuntime) and a real SQLite database in a
 * fresh temporary folder, with the repository's templates seeded: the service in milliseconds.
 */
export async function memoryRepls(options: { limits?: Partial<ReplServiceOptions['limits']>; runtime?: MemoryRuntimeOptions; capacity?: (runtime: MemoryRuntime) => CapacityGate } = {}): Promise<MemoryRepls> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-repls-'));
  const templates = await repoTemplates();
  const store = new MemoryStore();
  await seedTemplates(store, templates);
  const database = await openDatabase({ dataDir: dir, log: quietLog });
  const runtime = new MemoryRuntime(options.runtime);
  const signer = new GrantSigner(Buffer.alloc(32, 7));
  const service = new ReplService({
    store,
    records: database.repls,
    workspaces: new WorkspaceStore(store),
    runtime,
    templates: new Map(templates.map((t) => [t.manifest.id, t])),
    signer,
    publicOrigin: { domain: 'localhost', scheme: 'http', port: 8080 },
    ticketTtlMs: 60_000,
    limits: { repls: 50, running: 3, workspaceBytes: 1 << 30, importEntries: 1000, fileBytes: 1 << 20, ...options.limits },
    capacity: options.capacity?.(runtime),
    log: quietLog,
  });
  return {
    service,
    store,
    runtime,
    database,
    signer,
    templates,
    async keys(prefix) {
      const out: string[] = [];
      for await (const object of store.list(prefix)) out.push(object.key);
      return out;
    },
    async close() {
      service.close();
      await runtime.close();
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
