import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GradeRun, Submission } from '@codeyard/common/api/classes';
import { newClassId, newStudentId } from '../src/classes/class-ids.js';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, openWebSocket, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * Autograde for real: the process runtime (bubblewrap sandbox, the real agent), two student repls
 * whose test passes and fails. The command runs inside each student's sandbox (the agent's exec),
 * the stopped repls are started for it and stopped again (unless the student opened the IDE
 * meanwhile: then it stays running), and Submit copies the workspace.
 */
describe('autograde in real sandboxes', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let teacher: string;
  const students: Array<{ token: string; repl: ReplView; id: string; accountId: string }> = [];
  let classId: string;

  const put = (token: string, replId: string, file: string, text: string) =>
    t.api(token, 'PUT', `/api/repls/${replId}/files/${file}`, text);

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    teacher = await t.newToken();
    const teacherId = (await t.api(teacher, 'GET', '/api/me')).json<{ id: string }>().id;
    classId = newClassId();
    const now = new Date().toISOString();
    // One passes (exit 0), one fails (exit 3); both print where they ran, for the sandbox check.
    // Each also prints whether it sees the student's secret (it must not: its output goes to the teacher).
    const where = 'console.log("cwd=" + process.cwd() + " host=" + require("fs").existsSync(process.argv[2]) + " secret=" + (process.env.STUDENT_SECRET ?? "unset"));';
    const tests = [`${where} console.log("all 3 passed");`, `${where} console.error("expected 4, got 5"); process.exit(3);`];
    for (const test of tests) {
      const token = await t.newToken();
      const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'homework' })).json<ReplView>();
      assert.equal((await put(token, repl.id, 'test.js', test)).status, 201);
      assert.equal((await t.api(token, 'PUT', `/api/repls/${repl.id}/secrets/STUDENT_SECRET`, { value: 'the student’s own key' })).status, 201);
      const accountId = (await t.api(token, 'GET', '/api/me')).json<{ id: string }>().id;
      students.push({ token, repl, id: newStudentId(), accountId });
      // The class straight in the database, as the classes part leaves it once both joined.
      if (students.length === 2) {
        await t.portal.database.classes.insert(
          { id: classId, teacher: teacherId, name: 'Homework', starter: { stack: 'node' }, limits: {}, createdAt: now },
          students.map((s, i) => ({ id: s.id, classId, name: `Student ${i}`, accountId: s.accountId, replId: s.repl.id, joinedAt: now, createdAt: now })),
        );
      }
    }
  });
  after(() => t?.close());

  it('shows a pass and a fail, run inside each sandbox, and stops the repls it started', async () => {
    // The host's data folder: what a command on the host would see, and one in the sandbox must not.
    const res = await t.api(teacher, 'POST', `/api/classes/${classId}/grade`, { command: `node test.js ${t.dataDir}` });
    assert.equal(res.status, 202, res.body);
    let run = res.json<GradeRun>();
    // Bounded: two cold starts and two commands, far under the test's own timeout.
    for (let i = 0; i < 480 && !run.finishedAt; i++) {
      await new Promise((r) => setTimeout(r, 250));
      run = (await t.api(teacher, 'GET', `/api/classes/${classId}/grade/${run.id}`)).json<GradeRun>();
    }
    assert.ok(run.finishedAt, `the run finished: ${JSON.stringify(run)}`);
    const [pass, fail] = students.map((s) => run.results.find((r) => r.studentId === s.id)!);
    assert.equal(pass?.status, 'pass', JSON.stringify(pass));
    assert.equal(pass?.exitCode, 0);
    assert.match(pass?.output ?? '', /all 3 passed/);
    assert.equal(fail?.status, 'fail', JSON.stringify(fail));
    assert.equal(fail?.exitCode, 3);
    assert.match(fail?.output ?? '', /expected 4, got 5/);
    for (const [i, s] of students.entries()) {
      const output = [pass, fail][i]!.output ?? '';
      assert.match(output, new RegExp(`cwd=${t.runtime.workspacePath(s.repl.id)} `), "it ran in the repl's own workspace");
      assert.match(output, /host=false/, "the host's data folder is not visible where it ran");
      assert.match(output, /secret=unset/, "the student's secrets are not in the grading command's environment");
      assert.equal(t.runtime.status(s.repl.id).state, 'stopped', 'started for grading, stopped after');
    }
    const csv = await t.api(teacher, 'GET', `/api/classes/${classId}/grade/${run.id}.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.body, /,pass,0,/);
    assert.match(csv.body, /,fail,3,/);
  });

  it('submits the live workspace of a running repl, saved first', async () => {
    const s = students[0]!;
    assert.equal((await t.api(s.token, 'POST', `/api/repls/${s.repl.id}/start`)).status, 200);
    const exec = await t.api(s.token, 'POST', `/api/repls/${s.repl.id}/exec`, { command: 'echo "written in the IDE" > live.txt; echo "$STUDENT_SECRET"', timeoutMs: 10_000 });
    assert.equal(exec.status, 200, exec.body);
    assert.equal(exec.json<{ stdout: string }>().stdout, 'the student’s own key\n', "the student's own command has the secret the grader did not see");
    const made = await t.api(s.token, 'POST', `/api/repls/${s.repl.id}/submit`);
    assert.equal(made.status, 201, made.body);
    const number = made.json<Submission>().number;
    const read = await t.api(teacher, 'GET', `/api/classes/${classId}/students/${s.id}/submissions/${number}/files/live.txt`);
    assert.equal(read.body, 'written in the IDE\n', 'the file written a moment before Submit is in the submission');
    assert.equal((await t.api(s.token, 'POST', `/api/repls/${s.repl.id}/stop`)).status, 200);
  });

  it('leaves running a repl whose student opened VS Code while it was graded', async () => {
    const s = students[1]!;
    assert.equal(t.runtime.status(s.repl.id).state, 'stopped');
    // The command waits (at most 100 s) for a file the test drops into the workspace once the IDE is open.
    const waiting = 'const fs = require("fs"); const end = Date.now() + 100000; (function wait() { if (fs.existsSync("go")) { console.log("went"); process.exit(0); } if (Date.now() > end) process.exit(9); setTimeout(wait, 100); })();';
    assert.equal((await put(s.token, s.repl.id, 'wait.js', waiting)).status, 201);
    const run = (await t.api(teacher, 'POST', `/api/classes/${classId}/grade`, { command: 'node wait.js', students: [s.id] })).json<GradeRun>();
    const grading = async () => (await t.api(teacher, 'GET', `/api/classes/${classId}/grade/${run.id}`)).json<GradeRun>();
    await eventually(async () => (await grading()).results[0]?.status === 'running' && t.runtime.status(s.repl.id).state === 'running', 'the repl started for grading', 120_000);

    // The student opens VS Code: a one-time link, then its WebSocket through the proxy's public port.
    const link = new URL((await t.api(s.token, 'POST', `/api/repls/${s.repl.id}/ide-link`)).json<{ url: string }>().url);
    const cookie = String((await request(t.port, { host: link.host, path: link.pathname + link.search })).headers['set-cookie']).split(';')[0]!;
    const host = `${s.repl.id}.localhost:${t.port}`;
    const ide = await openWebSocket(t.port, { host, path: `/?reconnectionToken=${crypto.randomUUID()}&reconnection=false&skipWebSocketFrames=false`, headers: { cookie, origin: `http://${host}` } });
    assert.equal(ide.status, 101);
    try {
      // Straight into the workspace on the host (an API call on the repl would be use in itself).
      fs.writeFileSync(path.join(t.dataDir, 'repls', s.repl.id, 'workspace', 'go'), '');
      const done = await eventually(async () => {
        const now = await grading();
        return now.finishedAt ? now : undefined;
      }, 'the run to finish', 120_000);
      assert.deepEqual([done.results[0]?.status, done.results[0]?.output], ['pass', 'went\n']);
      assert.equal(t.runtime.status(s.repl.id).state, 'running', 'opened during grading: the student\'s now, left running');
    } finally {
      ide.ws?.close();
    }
    assert.equal((await t.api(s.token, 'POST', `/api/repls/${s.repl.id}/stop`)).status, 200);
  });
});
