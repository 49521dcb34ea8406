import type { ClassDetail } from '@codeyard/common/api/classes';
import { Accounts } from '../../src/accounts/accounts.js';
import { newId } from '../../src/accounts/secret-tokens.js';
import { ApiTokens } from '../../src/tokens/api-tokens.js';
import { startTestPortal } from '../../test/helpers/test-portal.js';
import type { Recorder, Suite } from '../harness.js';

/** Students per class: the issue's figure. */
const STUDENTS = 100;
/** Classes made (one sample each). */
const RUNS = 5;

/**
 * A class of 100 students made through the API (POST /api/classes with a 100-row CSV, node
 * starter) on the real portal: the fs store, SQLite, the process runtime. Each student gets a
 * server-side copy of the starter (its manifest and blobs) and a record; nothing starts. Timed
 * from the request to the answer, which holds every join link.
 */
export const classProvisionSuite: Suite = {
  name: 'class-provision',
  description: `a class of ${STUDENTS} students provisioned by POST /api/classes (server-side copies, nothing started), ${RUNS} classes`,
  async run(r: Recorder) {
    const t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts' } });
    try {
      const database = t.portal.database;
      const teacher = await database.accounts.insertUser({ id: newId('u'), createdAt: new Date().toISOString(), email: 'teacher@bench.test', emailVerified: true, name: 'Teacher', role: 'teacher' });
      if (teacher === 'email-taken') throw new Error('the bench teacher exists already');
      const { token } = await new ApiTokens({ repository: database.apiTokens, accounts: new Accounts(database.accounts) }).issue(teacher.id, 'bench', ['read', 'write'], Date.now() + 3600_000);
      const csv = `name,email,student id\n${Array.from({ length: STUDENTS }, (_, i) => `Student ${i + 1},s${i + 1}@school.test,S${i + 1}`).join('\n')}\n`;
      const seconds: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const t0 = performance.now();
        const res = await t.api(token, 'POST', '/api/classes', { name: `Bench ${run + 1}`, starter: { stack: 'node' }, roster: { csv } });
        const elapsed = (performance.now() - t0) / 1000;
        if (res.status !== 201) throw new Error(`create: ${res.status} ${res.body}`);
        const made = res.json<ClassDetail>();
        if (made.students.length !== STUDENTS || made.students.some((s) => !s.link || s.status !== 'stopped')) throw new Error('not every student has a stopped repl and a link');
        seconds.push(elapsed);
        r.say(`class ${run + 1}: ${STUDENTS} students in ${elapsed.toFixed(2)} s`);
      }
      r.figure(`a class of ${STUDENTS} students provisioned (POST /api/classes)`, 's', seconds, { target: ['<=', 10] });
      r.figure('per student', 'ms', seconds.map((s) => (s * 1000) / STUDENTS));
    } finally {
      await t.close();
    }
  },
};
