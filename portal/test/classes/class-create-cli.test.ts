import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import type { TokenPortal } from '../tokens/token-portal.js';
import { type CliRun, listeningClassPortal, runCodeyard } from './class-cli.js';
import { makeUser, type TestUser } from './class-portal.js';

/**
 * `codeyard class create --memory --always-on` and `class status` as a teacher runs them (the
 * CLI's bin, a child process) against a listening portal with the real database and store (repls
 * on the MemoryRuntime double): the limits land on the class and its repls, and the server's own
 * refusals (400 above its repl limit, 409 past the always-on allowance) reach the teacher with
 * their exit status, nothing made.
 */
describe('codeyard class create with limits against a portal', () => {
  let t: TokenPortal & { runtime: MemoryRuntime };
  let teacher: TestUser;
  let port: number;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-class-cli-'));
  const roster = (names: string[]): string => {
    const file = path.join(home, `${names.join('-')}.csv`);
    fs.writeFileSync(file, `name\n${names.join('\n')}\n`);
    return file;
  };
  const classes = async (): Promise<string[]> => (await t.database.db.selectFrom('classes').select('name').orderBy('name').execute()).map((c) => c.name);
  before(async () => {
    // A repl's memory limit of 1024 MB; always-on allowance 1 a teacher (the default).
    ({ t, teacher, port } = await listeningClassPortal({ CODEYARD_LIMIT_MEMORY_MB: '1024' }));
  });
  after(async () => {
    await t.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const cli = (token: string, args: string[]): Promise<CliRun> => runCodeyard(port, home, token, args);

  it("gives every student repl --memory as its own limit, and says it at create and in class status", async () => {
    const made = await cli(teacher.token, ['class', 'create', '-n', 'Lab', '-s', 'node', '-r', roster(['Ada', 'Bo']), '--memory', '512']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /Class Lab \(cls_[a-z2-7]{16}\): 2 students, a repl each, 512 MB per student; class code/);
    const id = /\((cls_[a-z2-7]{16})\)/.exec(made.stdout)![1]!;
    assert.deepEqual((await t.database.classes.get(id))?.limits, { memoryMb: 512 });
    for (const s of await t.database.classes.students(id)) assert.equal((await t.database.repls.get(s.replId))?.memoryMb, 512);
    const status = await cli(teacher.token, ['class', 'status', 'Lab']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Lab \(cls_[a-z2-7]{16}\): 0 of 2 joined, code [A-Z2-9-]{9}, 512 MB per student\n/);
  });

  it("passes on the server's refusals with their exit status, nothing made: memory above its limit or below 256 (2), always on past the allowance (6), a member (3)", async () => {
    const before = await classes();
    const above = await cli(teacher.token, ['class', 'create', '-n', 'Big', '-s', 'node', '-r', roster(['Cy']), '--memory', '2048']);
    assert.equal(above.code, 2, above.stderr);
    assert.match(above.stderr, /limits\.memoryMb: at most 1024 \(CODEYARD_LIMIT_MEMORY_MB\)/);
    const below = await cli(teacher.token, ['class', 'create', '-n', 'Small', '-s', 'node', '-r', roster(['Cy']), '--memory', '100']);
    assert.equal(below.code, 2, below.stderr);
    assert.match(below.stderr, /limits\/memoryMb must be >= 256/);
    const allOn = await cli(teacher.token, ['class', 'create', '-n', 'On', '-s', 'node', '-r', roster(['Cy', 'Dee']), '--always-on']);
    assert.equal(allOn.code, 6, allOn.stderr);
    assert.match(allOn.stderr, /limits\.alwaysOn: 2 repls more always on would come from your always-on allowance, which is 1 and has 0 in use/);
    const member = await makeUser(t, 'member');
    assert.equal((await cli(member.token, ['class', 'create', '-n', 'Mine', '-s', 'node', '-r', roster(['Cy']), '--memory', '512'])).code, 3, 'members make no classes');
    assert.deepEqual(await classes(), before);

    // One always-on repl fits the allowance of 1.
    const one = await cli(teacher.token, ['class', 'create', '-n', 'On', '-s', 'node', '-r', roster(['Cy']), '--always-on']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /1 students, a repl each, always on;/);
    const [cy] = await t.database.classes.students(/\((cls_[a-z2-7]{16})\)/.exec(one.stdout)![1]!);
    assert.equal((await t.database.repls.get(cy!.replId))?.alwaysOn, true);
  });
});
