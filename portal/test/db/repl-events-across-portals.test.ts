import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { GrantSigner } from '@codeyard/common/tickets';
import { type Database, openDatabase } from '../../src/db/open-database.js';
import type { ReplEvent } from '../../src/repls/repl-record.js';
import { ReplService } from '../../src/repls/repl-service.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { FsStore } from '../../src/store/fs-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { loadTemplates, seedTemplates } from '../../src/templates/catalog.js';
import { dropSchema, firstEvent, quietLog, runSchema } from './db-test-helpers.js';

const url = process.env.CODEYARD_TEST_DATABASE_URL;
const TEMPLATES = fileURLToPath(new URL('../../../../templates/', import.meta.url));

// Two portals (two repl services, each with its own connections) on one PostgreSQL and one store.
describe('two portals on one PostgreSQL', { skip: url ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set (.ci/postgres.sh starts a PostgreSQL and prints it)' }, () => {
  const schema = runSchema('portals');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-portals-'));
  const databases: Database[] = [];
  let a: ReplService;
  let b: ReplService;

  before(async () => {
    const store = await FsStore.open(root);
    const templates = await loadTemplates(TEMPLATES);
    await seedTemplates(store, templates);
    const workspaces = new WorkspaceStore(store);
    const service = async (): Promise<ReplService> => {
      const database = await openDatabase({ url, dataDir: root, schema, log: quietLog });
      databases.push(database);
      return new ReplService({
        store,
        records: database.repls,
        workspaces,
        runtime: new MemoryRuntime(),
        templates: new Map(templates.map((t) => [t.manifest.id, t])),
        signer: new GrantSigner(Buffer.alloc(32, 1)),
        publicOrigin: { domain: 'localhost', scheme: 'http', port: 8080 },
        ticketTtlMs: 60_000,
        limits: { repls: 2, running: 1, workspaceBytes: 1 << 30, importEntries: 100, fileBytes: 1 << 20 },
        log: quietLog,
      });
    };
    [a, b] = [await service(), await service()];
  });

  after(async () => {
    a?.close();
    b?.close();
    for (const database of databases) await database.close();
    await dropSchema(url, schema);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("shows one portal's repl changes on the other's dashboard stream", async () => {
    const created = firstEvent<ReplEvent>((l) => b.watch('u-dashboard', l), (e) => e.type === 'repl');
    const repl = await a.create('u-dashboard', 'node', 'made on A');
    const first = await created;
    assert.equal(first.type === 'repl' && first.repl.id, repl.id);
    assert.equal(first.type === 'repl' && first.repl.name, 'made on A');
    assert.deepEqual((await b.list('u-dashboard')).map((r) => r.id), [repl.id]);

    const renamed = firstEvent<ReplEvent>((l) => b.watch('u-dashboard', l), (e) => e.type === 'repl' && e.repl.name === 'renamed on A');
    await a.rename('u-dashboard', repl.id, 'renamed on A');
    await renamed;
    const deleted = firstEvent<ReplEvent>((l) => b.watch('u-dashboard', l), (e) => e.type === 'deleted');
    await a.remove('u-dashboard', repl.id);
    assert.deepEqual(await deleted, { type: 'deleted', id: repl.id });
  });

  it('holds the repl limit when both portals create at once', async () => {
    const results = await Promise.allSettled([a, b, a, b].map((service, i) => service.create('u-limit', 'node', `repl ${i}`)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2, JSON.stringify(results.map((r) => r.status)));
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'LIMIT_REACHED');
    assert.equal((await b.list('u-limit')).length, 2);
  });
});
