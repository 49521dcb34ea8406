import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Joined } from '@codeyard/common/api/classes';
import { DIALECTS } from '../submissions/work-portal.js';
import { assertError, type TokenPortal } from '../tokens/token-portal.js';
import { makeClass, makeUser, startClassPortal, type TestUser } from './class-portal.js';

/**
 * Sign-up through a join link is one unit with binding the link: two people signing up through
 * one link at once (a link with no roster address, so both may) end with one account, bound;
 * the other is told the link is taken and has no account left behind.
 */
for (const dialect of DIALECTS) {
describe(`signing up through one join link twice at once (${dialect.name})`, { skip: dialect.skip }, () => {
  let t: TokenPortal;
  let teacher: TestUser;
  before(async () => {
    t = await startClassPortal(dialect.name);
    teacher = await makeUser(t, 'teacher');
  });
  after(() => t?.close());

  it('binds one account; the other gets 409 LINK_TAKEN and no account', async () => {
    for (let round = 0; round < 3; round++) {
      const detail = await makeClass(t, teacher, [`Open${round}`], { emails: false });
      const link = detail.students[0]!.link!;
      const emails = [`first${round}@school.test`, `second${round}@school.test`];
      const answers = await Promise.all(
        emails.map((email, i) => t.call({ origin: t.origin, address: `10.0.${round}.${i + 1}` }, 'POST', '/api/join/signup', { link, email, password: 'correct horse', name: email })),
      );
      const won = answers.findIndex((res) => res.statusCode === 201);
      assert.notEqual(won, -1, answers.map((res) => res.body).join('\n'));
      const lost = 1 - won;
      assertError(answers[lost]!, 409, 'LINK_TAKEN', /another account has already joined with this link/);
      const winner = await t.database.accounts.byEmail(emails[won]!);
      assert.equal((await t.database.repls.get(answers[won]!.json<Joined>().replId))?.owner, winner?.id, 'the winner holds the repl');
      assert.equal(await t.database.accounts.byEmail(emails[lost]!), undefined, 'no account left for the one who lost');
    }
  });
});
}
