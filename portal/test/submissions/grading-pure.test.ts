import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectItems, studentFolder } from '../../src/grading/collect.js';
import { defaultGradeCommand } from '../../src/grading/default-command.js';
import { OUTPUT_TAIL_BYTES, outputTail } from '../../src/grading/grader.js';
import type { WorkspaceItem } from '../../src/store/workspace-store.js';

describe('autograde and collect, the pure parts', () => {
  it('keeps the last 4 KB of stdout then stderr, never splitting a character', () => {
    assert.equal(outputTail({ stdout: 'ok\n', stderr: 'warn\n' }), 'ok\nwarn\n');
    assert.equal(outputTail({ stdout: 'no newline', stderr: 'err' }), 'no newline\nerr');
    assert.equal(outputTail({ stdout: '', stderr: 'only err' }), 'only err');
    const long = `${'é'.repeat(3000)}END`;
    const tail = outputTail({ stdout: long, stderr: '' });
    assert.ok(Buffer.byteLength(tail) <= OUTPUT_TAIL_BYTES);
    assert.ok(tail.endsWith('END'));
    assert.ok(!tail.includes('\uFFFD'), 'no broken character at the cut');
  });

  it("names a student's folder after them, safely, and always with the id", () => {
    assert.equal(studentFolder({ id: 'stu_x', name: 'Zoë Ångström' }), 'zoe-angstrom-stu_x');
    assert.equal(studentFolder({ id: 'stu_x', name: '../../etc', studentRef: 'S1' }), 'etc-stu_x');
    assert.equal(studentFolder({ id: 'stu_x', name: '日本' }), 'stu_x', 'nothing readable left: the id alone');
  });

  it("picks the starter's command, else the stack's usual one; a stack without one needs it given", () => {
    assert.equal(defaultGradeCommand('node'), 'npm test');
    assert.equal(defaultGradeCommand('python'), 'python3 -m unittest');
    assert.equal(defaultGradeCommand('static', { test: 'sh check.sh' }), 'sh check.sh');
    assert.throws(() => defaultGradeCommand('static'), /no usual test command; give one as "command"/);
  });

  it('puts each student under their own folder, an empty one for nothing submitted', async () => {
    async function* files(...paths: string[]): AsyncIterable<WorkspaceItem> {
      for (const path of paths) yield { path, type: 'file', body: Buffer.from(path) };
    }
    const students = [{ id: 'stu_a', name: 'Ann', replId: 'ra' }, { id: 'stu_b', name: 'Ben', replId: 'rb' }];
    const sources = { workspace: async (replId: string) => files(`${replId}.js`), latestSubmission: async (replId: string) => (replId === 'ra' ? 2 : undefined), submission: (replId: string, n: number) => files(`v${n}.js`) };
    const seen = async (what: 'workspaces' | 'submissions') => {
      const out: string[] = [];
      for await (const item of collectItems(students, what, sources)) out.push(item.path);
      return out;
    };
    assert.deepEqual(await seen('workspaces'), ['ann-stu_a', 'ann-stu_a/ra.js', 'ben-stu_b', 'ben-stu_b/rb.js']);
    assert.deepEqual(await seen('submissions'), ['ann-stu_a', 'ann-stu_a/v2.js', 'ben-stu_b']);
  });
});
