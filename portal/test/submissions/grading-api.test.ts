import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditPage } from '@codeyard/common/api/admin';
import type { GradeRun } from '@codeyard/common/api/classes';
import { readArchive } from '../../src/archive/archive.js';
import { MEMORY_EXEC_MARK } from '../../src/runtime/memory-runtime.js';
import { workRowExtras } from '../../src/submissions/work-row-extras.js';
import { assertError, DIALECTS, startWorkPortal, type WorkPortal } from './work-portal.js';

const LIMITS = { maxEntries: 1000, maxTotalBytes: 1 << 24, maxFileBytes: 1 << 24 };

/**
 * Autograde and collect through the API on the real database and store. The runtime is the
 * MemoryRuntime double: its exec answers exit 0 with a marked output (the pass and the fail of a
 * real command in a real sandbox are grade.integration.test.ts's). What this covers: the queue
 * starts the stopped repls and stops them after, results and CSV, collect's folders, the
 * teacher-only rule and bad input.
 */
for (const dialect of DIALECTS) {
  describe(`autograde and collect API on ${dialect.name}`, { skip: dialect.skip }, () => {
    let w: WorkPortal;
    before(async () => {
      // A name a spreadsheet would run as a formula: the CSV must neutralise it.
      w = await startWorkPortal(dialect.name, { alice: '=HYPERLINK("http://evil.example","x")', bob: 'Bob' });
    });
    after(async () => w?.close());
    const url = (rest: string) => `/api/classes/${w.classId}${rest}`;

    async function finished(runId: string): Promise<GradeRun> {
      // Bounded: the double's exec answers at once; 200 polls of 25 ms is far more than enough.
      for (let i = 0; i < 200; i++) {
        const run = (await w.call(w.teacher.token, 'GET', url(`/grade/${runId}`))).json<GradeRun>();
        if (run.finishedAt) return run;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`grade run ${runId} did not finish`);
    }

    it('runs the command in every student repl, starting stopped ones and stopping them after', async () => {
      const res = await w.call(w.teacher.token, 'POST', url('/grade'), { command: 'npm test' });
      assert.equal(res.statusCode, 202, res.body);
      const queued = res.json<GradeRun>();
      const roster = await w.database.classes.students(w.classId);
      assert.deepEqual(queued.results.map((r) => [r.studentId, r.status]), roster.map((s) => [s.id, 'queued']), 'roster order');
      const run = await finished(queued.id);
      for (const result of run.results) {
        assert.equal(result.status, 'pass');
        assert.equal(result.exitCode, 0);
        assert.equal(result.output, `${MEMORY_EXEC_MARK} npm test\n`, 'the command ran through the runtime, as given');
      }
      for (const s of [w.students.alice, w.students.bob]) assert.equal(w.codeyard.runtime.status(s.replId).state, 'stopped', 'stopped again after');
      const list = (await w.call(w.teacher.token, 'GET', url('/grade'))).json<{ runs: GradeRun[] }>();
      assert.equal(list.runs[0]?.id, queued.id);
      const audit = (await w.call(w.admin.token, 'GET', '/api/admin/audit?kind=class.grade')).json<AuditPage>().events;
      assert.deepEqual([audit[0]?.account, audit[0]?.targetId, audit[0]?.details.command], [w.teacher.id, w.classId, 'npm test']);
    });

    it('grades the chosen students only, with the starter stack\'s command by default, and leaves a running repl running', async () => {
      await w.codeyard.portal.repls.start(w.bob.id, w.students.bob.replId);
      const res = await w.call(w.teacher.token, 'POST', url('/grade'), { students: [w.students.bob.id] });
      const run = await finished(res.json<GradeRun>().id);
      assert.equal(run.command, 'npm test', "the node stack's usual test command");
      assert.deepEqual(run.results.map((r) => r.studentId), [w.students.bob.id]);
      assert.equal(w.codeyard.runtime.status(w.students.bob.replId).state, 'running', 'it was running before: it stays so');
      await w.codeyard.portal.repls.stop(w.bob.id, w.students.bob.replId);
    });

    it('exports a run as CSV with formula cells neutralised', async () => {
      const runId = (await w.call(w.teacher.token, 'GET', url('/grade'))).json<{ runs: GradeRun[] }>().runs.at(-1)!.id;
      const csv = await w.call(w.teacher.token, 'GET', url(`/grade/${runId}.csv`));
      assert.equal(csv.statusCode, 200, csv.body);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      const lines = csv.body.trim().split('\r\n');
      assert.equal(lines[0], 'student_id,name,email,student_ref,status,exit_code,started_at,finished_at,output');
      assert.ok(lines.some((line) => line.startsWith(`${w.students.alice.id},"'=HYPERLINK(""http://evil.example"",""x"")",,,pass,0,`)), csv.body);
      assertError(await w.call(w.teacher.token, 'GET', url('/grade/grd_aaaaaaaaaaaaaaaa.csv')), 404, 'NOT_FOUND', /no grade run/);
    });

    it('refuses bad input: a command too long or blank, a student not on the roster, a bad run id', async () => {
      assertError(await w.call(w.teacher.token, 'POST', url('/grade'), { command: 'x'.repeat(4097) }), 400, 'VALIDATION', /command/);
      assertError(await w.call(w.teacher.token, 'POST', url('/grade'), { command: '   ' }), 400, 'VALIDATION', /blank/);
      assertError(await w.call(w.teacher.token, 'POST', url('/grade'), { students: ['stu_aaaaaaaaaaaaaaaa'] }), 400, 'VALIDATION', /not on this class's roster: stu_aaaaaaaaaaaaaaaa/);
      assertError(await w.call(w.teacher.token, 'POST', url('/grade'), { command: 'true', extra: 1 }), 400, 'VALIDATION');
      assertError(await w.call(w.teacher.token, 'GET', url('/grade/run1')), 400, 'VALIDATION', /runId/);
      assertError(await w.call(w.teacher.token, 'GET', url('/collect?what=everything')), 400, 'VALIDATION', /what/);
    });

    it('lets nobody but the teacher and admins grade, read runs or collect (404), and records collects', async () => {
      const runId = (await w.call(w.teacher.token, 'GET', url('/grade'))).json<{ runs: GradeRun[] }>().runs[0]!.id;
      for (const caller of [w.alice, w.bob, w.otherTeacher]) {
        assertError(await w.call(caller.token, 'POST', url('/grade'), { command: 'true' }), 404, 'NOT_FOUND');
        for (const path of ['/grade', `/grade/${runId}`, `/grade/${runId}.csv`, '/collect']) assertError(await w.call(caller.token, 'GET', url(path)), 404, 'NOT_FOUND', undefined, path);
      }
      assert.equal((await w.call(w.admin.token, 'GET', url(`/grade/${runId}`))).statusCode, 200);
    });

    it("collects every workspace, or each student's newest submission, a folder per student", async () => {
      const put = (token: string, replId: string, file: string, text: string) =>
        w.codeyard.portal.app.inject({ method: 'PUT', url: `/api/repls/${replId}/files/${file}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, payload: text });
      await put(w.alice.token, w.students.alice.replId, 'answer.txt', 'first');
      assert.equal((await w.call(w.alice.token, 'POST', `/api/repls/${w.students.alice.replId}/submit`)).statusCode, 201);
      await put(w.alice.token, w.students.alice.replId, 'answer.txt', 'second');
      assert.equal((await w.call(w.alice.token, 'POST', `/api/repls/${w.students.alice.replId}/submit`)).statusCode, 201);
      await put(w.alice.token, w.students.alice.replId, 'answer.txt', 'unsubmitted');

      const folders = async (what: string) => {
        const res = await w.call(w.teacher.token, 'GET', url(`/collect?what=${what}&format=zip`));
        assert.equal(res.statusCode, 200, res.body);
        return readArchive(res.rawPayload, 'zip', LIMITS);
      };
      const aliceDir = `hyperlink-http-evil-example-x-${w.students.alice.id}`;
      const bobDir = `bob-${w.students.bob.id}`;
      const workspaces = await folders('workspaces');
      assert.equal(workspaces.find((e) => e.path === `${aliceDir}/answer.txt`)?.body?.toString(), 'unsubmitted');
      assert.ok(workspaces.some((e) => e.path === `${bobDir}/index.js`), 'every student has a folder with their files');
      const submitted = await folders('submissions');
      assert.equal(submitted.find((e) => e.path === `${aliceDir}/answer.txt`)?.body?.toString(), 'second', 'the newest submission');
      assert.deepEqual(submitted.filter((e) => e.path.startsWith(bobDir)).map((e) => e.path), [bobDir], 'Bob submitted nothing: an empty folder');
      const audit = (await w.call(w.admin.token, 'GET', '/api/admin/audit?kind=class.collect')).json<AuditPage>().events;
      assert.deepEqual(audit.map((e) => e.details.what), ['submissions', 'workspaces']);
    });

    it("fills the dashboard row's submissions, newest time and grade cell (the classes part's ClassRowExtras)", async () => {
      const extras = workRowExtras(w.database.submissions, w.database.grades);
      const rows = await extras.rows(w.classId, [w.students.alice, w.students.bob]);
      const alice = rows.get(w.students.alice.id)!;
      const bob = rows.get(w.students.bob.id)!;
      assert.equal(alice.submissions, 2);
      assert.ok(alice.submittedAt && Date.parse(alice.submittedAt) > Date.now() - 60_000);
      assert.equal(alice.grade?.status, 'pass');
      assert.deepEqual([bob.submissions, bob.submittedAt], [0, undefined]);
      assert.equal(bob.grade?.status, 'pass', 'from the newest run that included Bob');
    });
  });
}
