import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDeleted } from '@codeyard/common/api/classes';
import type { TokenPortal } from '../tokens/token-portal.js';
import { type CliRun, listeningClassPortal, runCodeyard } from './class-cli.js';
import { joinAs, makeClass, makeUser, type TestUser } from './class-portal.js';

/**
 * `codeyard class delete` as a teacher runs it (the CLI's bin, a child process) against a
 * listening portal with the real database and store (repls on the MemoryRuntime double).
 */
describe('codeyard class delete against a portal', () => {
  let t: TokenPortal;
  let teacher: TestUser;
  let port: number;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-class-cli-'));
  before(async () => {
    ({ t, teacher, port } = await listeningClassPortal());
  });
  after(async () => {
    await t.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const cli = (token: string, args: string[], input = ''): Promise<CliRun> => runCodeyard(port, home, token, args, input);

  it("deletes a class by name once the name is typed, by id with --yes; not another teacher's, not with a wrong name", async () => {
    const first = await makeClass(t, teacher, ['Ivy', 'Jo']);
    await joinAs(t, first.students[0]!);
    const other = await makeUser(t, 'teacher');
    const stranger = await cli(other.token, ['class', 'delete', '--yes', first.id]);
    assert.equal(stranger.code, 4, `another teacher: not found\n${stranger.stderr}`);
    const wrong = await cli(teacher.token, ['class', 'delete', first.id], 'intro\n');
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /"intro" is not the class's name: nothing deleted/);
    assert.ok(await t.database.classes.get(first.id), 'still there');

    const typed = await cli(teacher.token, ['class', 'delete', 'Intro'], 'Intro\n');
    assert.equal(typed.code, 0, typed.stderr);
    assert.match(typed.stdout, new RegExp(`Deleted Intro \\(${first.id}\\): 1 repl\\(s\\) nobody joined deleted; 1 student\\(s\\) keep theirs`));
    assert.equal(await t.database.classes.get(first.id), undefined);
    assert.equal(await t.database.repls.get(first.students[1]!.replId), undefined, "Jo's unjoined repl");
    assert.ok(await t.database.repls.get(first.students[0]!.replId), "Ivy's repl stays");

    const second = await makeClass(t, teacher, ['Kim'], { emails: false });
    const yes = await cli(teacher.token, ['class', 'rm', '--yes', '--json', second.id]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.deepEqual(JSON.parse(yes.stdout) as ClassDeleted, { id: second.id, deletedRepls: 1, detachedRepls: 0 });
    assert.equal((await cli(teacher.token, ['class', 'delete', '--yes', second.id])).code, 4, 'deleted already');
  });
});
