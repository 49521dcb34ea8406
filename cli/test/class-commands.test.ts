import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDeleted, ClassDetail, StudentRow } from '@codeyard/common/api/classes';
import { EXIT } from '../src/exit-codes.js';
import { ApiDouble } from './helpers/api-double.js';
import { type Ran, runWith, tempHome } from './helpers/run-cli.js';

const CLASS = 'cls_abcdefghijklmnop';
const row = (name: string, extra: Partial<StudentRow> = {}): StudentRow => ({ id: `stu_${name.toLowerCase().padEnd(16, 'a')}`, name, replId: 'abcdefghijkm', status: 'stopped', appRunning: false, linkActive: true, submissions: 0, ...extra });
const detail = (students: StudentRow[]): ClassDetail => ({ id: CLASS, name: 'Intro', starter: { stack: 'node' }, code: 'K7QM-2XPD', dueAt: null, createdAt: new Date().toISOString(), joined: 1, limits: {}, students });

/** class create, status and delete in-process against the API double (the portal's side is tested in portal/test/classes/). */
describe('codeyard class … (against the API double)', () => {
  let api: ApiDouble;
  const home = tempHome();
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]): Promise<Ran> => runWith(argv, { env });
  before(async () => {
    api = await new ApiDouble().start();
    env = { XDG_CONFIG_HOME: home, CODEYARD_SERVER: api.url, CODEYARD_TOKEN: 'cyp_test' };
  });
  after(async () => {
    await api.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('creates a class from a roster file and prints each link, or the API object with --json', async () => {
    const roster = path.join(home, 'students.csv');
    fs.writeFileSync(roster, 'name,email\nAda,ada@school.test\n');
    api.json('GET /api/stacks', 200, [{ id: 'node', name: 'Node.js', description: '', available: true }]);
    api.json('POST /api/classes', 201, detail([row('Ada', { email: 'ada@school.test', link: 'http://x/join/stu_adaaaaaaaaaaaaa.secret' })]));
    const ran = await cli('class', 'create', '--name', 'Intro', '--starter', 'node', '--roster', roster, '--due', '2026-12-18T17:00:00Z');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Class Intro \(cls_abcdefghijklmnop\): 1 students.*class code K7QM-2XPD/);
    assert.match(ran.stdout, /Ada\s+ada@school.test\s+http:\/\/x\/join\/stu_adaaaaaaaaaaaaa.secret/);
    const sent = JSON.parse(api.requests.find((r) => r.method === 'POST')!.body.toString());
    assert.deepEqual(sent, { name: 'Intro', starter: { stack: 'node' }, roster: { csv: 'name,email\nAda,ada@school.test\n' }, dueAt: '2026-12-18T17:00:00Z' });
    const json = await cli('class', 'create', '--json', '--name', 'Intro', '--starter', 'node', '--roster', roster);
    assert.equal(json.json<ClassDetail>().students[0]!.link, 'http://x/join/stu_adaaaaaaaaaaaaa.secret');
    const missing = await cli('class', 'create', '--name', 'Intro', '--starter', 'node', '--roster', path.join(home, 'nope.csv'));
    assert.equal(missing.code, EXIT.NOT_FOUND);
  });

  it('sends --memory and --always-on as the class\'s limits and says them; a --memory that is no positive whole number is a usage error, nothing sent', async () => {
    const roster = path.join(home, 'limits.csv');
    fs.writeFileSync(roster, 'name\nAda\n');
    api.json('GET /api/stacks', 200, [{ id: 'node', name: 'Node.js', description: '', available: true }]);
    api.json('POST /api/classes', 201, { ...detail([row('Ada', { link: 'http://x/join/stu_adaaaaaaaaaaaaa.secret' })]), limits: { memoryMb: 512, alwaysOn: true } });
    const posts = () => api.requests.filter((r) => r.method === 'POST');
    const before = posts().length;
    const ran = await cli('class', 'create', '--name', 'Intro', '--starter', 'node', '--roster', roster, '--memory', '512', '--always-on');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /1 students, a repl each, 512 MB per student, always on; class code K7QM-2XPD/);
    assert.deepEqual(JSON.parse(posts().at(-1)!.body.toString()).limits, { memoryMb: 512, alwaysOn: true });
    const plain = await cli('class', 'create', '--name', 'Intro', '--starter', 'node', '--roster', roster);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal('limits' in JSON.parse(posts().at(-1)!.body.toString()), false, "no flags: no limits, the server's defaults");
    const sent = posts().length;
    assert.equal(sent, before + 2);
    for (const bad of ['abc', '0', '1.5', '512MB', '-512', '']) {
      const refused = await cli('class', 'create', '--name', 'Intro', '--starter', 'node', '--roster', roster, `--memory=${bad}`);
      assert.equal(refused.code, EXIT.USAGE, `--memory=${bad}: ${refused.stderr}`);
      assert.match(refused.stderr, /--memory is a whole number of MB more than 0 \(e\.g\. 512\)/);
    }
    assert.equal(posts().length, sent, 'nothing sent');
  });

  it('shows a class by id or name; an unknown name is 4', async () => {
    api.json(`GET /api/classes/${CLASS}`, 200, detail([row('Ada', { account: { id: 'u1', name: 'Ada', email: null }, linkActive: false, status: 'running', appRunning: true }), row('Bo')]));
    api.json('GET /api/classes', 200, { teaching: [{ id: CLASS, name: 'Intro', starter: { stack: 'node' }, code: null, dueAt: null, createdAt: '', students: 2, joined: 1 }], attending: [] });
    const ran = await cli('class', 'status', 'Intro');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Intro \(cls_abcdefghijklmnop\): 1 of 2 joined, code K7QM-2XPD\n/, "no limits: none said");
    assert.match(ran.stdout, /Ada\s+joined\s+running\s+running/);
    assert.match(ran.stdout, /Bo\s+invited\s+stopped/);
    assert.equal((await cli('class', 'status', 'Nothing')).code, EXIT.NOT_FOUND);
    api.json(`GET /api/classes/${CLASS}`, 200, { ...detail([row('Bo')]), limits: { memoryMb: 768, alwaysOn: true } });
    assert.match((await cli('class', 'status', CLASS)).stdout, /Intro \(cls_abcdefghijklmnop\): 1 of 1 joined, code K7QM-2XPD, 768 MB per student, always on\n/);
  });

  it("deletes a class with --yes or once its name is typed; a wrong name, none or a class it does not teach deletes nothing", async () => {
    api.json(`GET /api/classes/${CLASS}`, 200, detail([row('Ada', { account: { id: 'u1', name: 'Ada', email: null } }), row('Bo')]));
    api.json(`DELETE /api/classes/${CLASS}`, 200, { id: CLASS, deletedRepls: 1, detachedRepls: 1 } satisfies ClassDeleted);
    const deletes = () => api.requests.filter((r) => r.method === 'DELETE').length;
    const before = deletes();
    for (const [stdin, why] of [['intro\n', /"intro" is not the class's name/], ['', /no name typed/]] as const) {
      const refused = await runWith(['class', 'delete', CLASS], { env, stdin });
      assert.equal(refused.code, EXIT.USAGE, refused.stderr);
      assert.match(refused.stderr, why);
      assert.match(refused.stderr, /Type the class's name to confirm/);
    }
    assert.equal(deletes(), before, 'nothing sent');
    const typed = await runWith(['class', 'delete', CLASS], { env, stdin: 'Intro\n' });
    assert.equal(typed.code, 0, typed.stderr);
    assert.match(typed.stdout, /Deleted Intro \(cls_abcdefghijklmnop\): 1 repl\(s\) nobody joined deleted; 1 student\(s\) keep theirs/);
    const yes = await cli('class', 'rm', '--yes', '--json', CLASS);
    assert.deepEqual(yes.json<ClassDeleted>(), { id: CLASS, deletedRepls: 1, detachedRepls: 1 });
    assert.equal(deletes(), before + 2);
    api.error('GET /api/classes/cls_zzzzzzzzzzzzzzzz', 404, 'NOT_FOUND', 'no class cls_zzzzzzzzzzzzzzzz');
    assert.equal((await cli('class', 'delete', '--yes', 'cls_zzzzzzzzzzzzzzzz')).code, EXIT.NOT_FOUND);
    assert.equal(deletes(), before + 2);
  });
});
