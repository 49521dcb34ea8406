import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, GradeRun, StudentRow } from '@codeyard/common/api/classes';
import { EXIT } from '../src/exit-codes.js';
import { ApiDouble } from './helpers/api-double.js';
import { type Ran, runWith, tempHome } from './helpers/run-cli.js';

const CLASS = 'cls_abcdefghijklmnop';
const RUN = 'grd_abcdefghijklmnop';
const row = (name: string): StudentRow => ({ id: `stu_${name.toLowerCase().padEnd(16, 'a')}`, name, replId: 'abcdefghijkm', status: 'stopped', appRunning: false, linkActive: true, submissions: 0 });
const detail: ClassDetail = { id: CLASS, name: 'Intro', starter: { stack: 'node' }, code: null, dueAt: null, createdAt: new Date().toISOString(), joined: 2, limits: {}, students: [row('Ada'), row('Bo')] };
const [ada, bo] = detail.students.map((s) => s.id) as [string, string];

/** class grade and class collect in-process against the API double (the portal's side: portal/test/submissions/). */
describe('codeyard class grade / collect (against the API double)', () => {
  let api: ApiDouble;
  const home = tempHome();
  let env: NodeJS.ProcessEnv;
  const cli = (argv: string[], sleeps?: number[]): Promise<Ran> => runWith(argv, { env, sleeps });
  before(async () => {
    api = await new ApiDouble().start();
    env = { XDG_CONFIG_HOME: home, CODEYARD_SERVER: api.url, CODEYARD_TOKEN: 'cyp_test' };
    api.json(`GET /api/classes/${CLASS}`, 200, detail);
  });
  after(async () => {
    await api.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('queues a grade run with the command given, and with --wait polls until every result is in', async () => {
    const queued: GradeRun = { id: RUN, command: 'npm test', createdAt: '', results: [ada, bo].map((studentId) => ({ studentId, status: 'queued', exitCode: null })) };
    api.json(`POST /api/classes/${CLASS}/grade`, 202, queued);
    const plain = await cli(['class', 'grade', CLASS, '--command', 'npm test']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /Grade run grd_abcdefghijklmnop of Intro: `npm test` in 2 repls, queued/);
    assert.deepEqual(JSON.parse(api.requests.findLast((r) => r.method === 'POST')!.body.toString()), { command: 'npm test' });

    let polls = 0;
    api.on(`GET /api/classes/${CLASS}/grade/${RUN}`, (_req, res) => {
      const done = ++polls >= 2;
      const run: GradeRun = done
        ? { ...queued, finishedAt: 'now', results: [{ studentId: ada, status: 'pass', exitCode: 0, output: 'ok\n3 passing\n' }, { studentId: bo, status: 'fail', exitCode: 1, output: 'AssertionError: 4 !== 5\n' }] }
        : queued;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(run));
    });
    const sleeps: number[] = [];
    const waited = await cli(['class', 'grade', CLASS, '--wait'], sleeps);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(polls, 2);
    assert.deepEqual(sleeps, [2000, 2000]);
    assert.match(waited.stdout, /1 pass, 1 fail, 0 error/);
    assert.match(waited.stdout, /Ada\s+pass\s+0\s+3 passing/);
    assert.match(waited.stdout, /Bo\s+fail\s+1\s+AssertionError: 4 !== 5/);
    assert.deepEqual(JSON.parse(api.requests.findLast((r) => r.method === 'POST')!.body.toString()), {}, "no --command: the server's default");
  });

  it("says what the server refused (a command too long is 2, another teacher's class 4)", async () => {
    api.error(`POST /api/classes/${CLASS}/grade`, 400, 'VALIDATION', 'body/command must NOT have more than 4096 characters');
    const ran = await cli(['class', 'grade', CLASS, '--command', 'x'.repeat(5000)]);
    assert.equal(ran.code, EXIT.USAGE);
    assert.match(ran.stderr, /4096 characters/);
    const other = 'cls_bbbbbbbbbbbbbbbb';
    api.error(`GET /api/classes/${other}`, 404, 'NOT_FOUND', `no class ${other}`);
    assert.equal((await cli(['class', 'collect', other])).code, EXIT.NOT_FOUND);
  });

  it('writes the collected archive to a file, asking for submissions with --submissions', async () => {
    const bytes = Buffer.from('PK\u0005\u0006'.padEnd(22, '\0'));
    api.on(`GET /api/classes/${CLASS}/collect`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="intro-submissions.zip"' }).end(bytes);
    });
    const out = path.join(home, 'class.zip');
    const ran = await cli(['class', 'collect', CLASS, '--submissions', '-o', out]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(fs.readFileSync(out), bytes);
    assert.match(api.requests.at(-1)!.path, /\?what=submissions&format=zip$/);
    assert.match(ran.stdout, /Intro: 2 students' submissions → .*class.zip/);
    const again = await cli(['class', 'collect', CLASS, '-o', out]);
    assert.equal(again.code, EXIT.USAGE, 'an existing file is kept without --force');
    assert.match(api.requests.at(-1)!.path, /\?what=workspaces&format=zip$/);
  });
});
