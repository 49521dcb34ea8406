import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { GradeRun } from '@codeyard/common/api/classes';
import type { ClassEvent } from '../../src/classes/class-events.js';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/open-database.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { quietLog } from '../db/db-test-helpers.js';
import { eventually } from '../helpers/http.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';
import { POSTGRES_URL, startWorkPortal, type WorkPortal } from './work-portal.js';

/**
 * Two portal replicas on one PostgreSQL (the real portals, the real database and fs store; each
 * with its own MemoryRuntime double, as replicas share a cluster's repls): a run asked of one
 * replica is graded, and the teacher's dashboard stream on the other shows every result come in,
 * through the database's event bus. Nothing like this exists on SQLite (one portal per file).
 */
describe('autograde across portal replicas on PostgreSQL', { skip: POSTGRES_URL ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set' }, () => {
  let a: WorkPortal;
  let b: Codeyard<MemoryRuntime>;
  before(async () => {
    a = await startWorkPortal('PostgreSQL');
    const database = await openDatabase({ url: POSTGRES_URL, dataDir: a.dataDir, schema: a.schema, log: quietLog });
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '8080', CODEYARD_DATA: a.dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'accounts' });
    b = await createCodeyard(config, { runtime: () => new MemoryRuntime(), signingKey: Buffer.alloc(32, 7), log: pino({ level: 'silent' }), database });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it("shows on one replica's class stream the results of a run another replica took", async () => {
    const seen: ClassEvent[] = [];
    const unwatch = await a.codeyard.portal.classes.events.watch(a.classId, (event) => seen.push(event));
    try {
      const res = await b.portal.app.inject({ method: 'POST', url: `/api/classes/${a.classId}/grade`, headers: { authorization: `Bearer ${a.teacher.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ command: 'npm test' }) });
      assert.equal(res.statusCode, 202, res.body);
      const runId = res.json<GradeRun>().id;
      const passedRows = () => new Set(seen.flatMap((e) => (e.type === 'student' && e.row.grade?.runId === runId && e.row.grade.status === 'pass' ? [e.row.id] : [])));
      await eventually(async () => passedRows().size === 2, "both students' passes on the other replica's stream", 30_000);
      assert.deepEqual([...passedRows()].sort(), [a.students.alice.id, a.students.bob.id].sort());
      const run = (await a.call(a.teacher.token, 'GET', `/api/classes/${a.classId}/grade/${runId}`)).json<GradeRun>();
      assert.ok(run.finishedAt, 'and the run is finished, as either replica reads it');
    } finally {
      unwatch();
    }
  });
});
