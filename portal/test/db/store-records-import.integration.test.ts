import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { listedPorts } from '../../src/repls/preview-ports.js';
import type { ReplRecord } from '../../src/repls/repl-record.js';
import type { ReplView } from '../../src/repls/repl-service.js';
import { startTestPortal } from '../helpers/test-portal.js';

const FIXTURES = fileURLToPath(new URL('../../../test/db/fixtures/', import.meta.url));

// The data folder of a portal from before the database, started by today's portal (twice).
describe('a data folder from before the database', { timeout: 120_000 }, () => {
  it('keeps working: every token signs in, every repl is listed as it was, and a restart imports nothing again', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-it-'));
    fs.cpSync(path.join(FIXTURES, 'pre-database-store'), path.join(dataDir, 'store'), { recursive: true });
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pre-database-expected.json'), 'utf8')) as { tokens: Array<{ token: string; account: { id: string } }>; repls: Record<string, ReplRecord[]> };
    const check = async (t: Awaited<ReturnType<typeof startTestPortal>>): Promise<void> => {
      for (const { token, account } of expected.tokens) {
        const res = await t.api(token, 'GET', '/api/repls');
        assert.equal(res.status, 200, `the token of ${account.id} still signs in`);
        const listed = res.json<ReplView[]>().map((r) => ({ id: r.id, name: r.name, ports: r.ports.map((p) => `${p.port}:${p.visibility}`), forkOf: r.forkOf }));
        const want = (expected.repls[account.id] ?? []).map((r) => ({
          id: r.id,
          name: r.name,
          ports: listedPorts(r).map((p) => `${p.port}:${p.visibility}`),
          forkOf: r.origin?.forkOf,
        }));
        assert.deepEqual(listed, want);
      }
    };
    let t = await startTestPortal({ dataDir });
    try {
      await check(t);
      for (const prefix of ['accounts/', 'repls/', 'owners/']) {
        for await (const info of t.store.list(prefix)) assert.fail(`${info.key} is still in the store`);
      }
    } finally {
      await t.close();
    }
    t = await startTestPortal({ dataDir });
    try {
      await check(t);
      const imported = await t.portal.database.db.selectFrom('meta').selectAll().execute();
      assert.equal(imported.length, 1, 'imported once');
    } finally {
      await t.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
