import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { REDACTED, redactDeep } from '../../src/admin/server-settings.js';
import { parseTime } from '../../src/audit/audit.js';
import { csvField } from '../../src/audit/audit-export.js';

describe('audit export: CSV fields', () => {
  const cases: Array<[unknown, string, string]> = [
    ['plain', 'plain', 'as it is'],
    [null, '', 'null is empty'],
    ['a,b', '"a,b"', 'a comma is quoted'],
    ['say "hi"', '"say ""hi"""', 'quotes doubled'],
    ['two\nlines', '"two\nlines"', 'a line break is quoted'],
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"', 'a formula is neutralized, then quoted'],
    ['+1', "'+1", 'plus'],
    ['-2', "'-2", 'minus'],
    [-1, '-1', 'a negative number (an exit code) stays a number'],
    [0, '0', 'zero'],
    ['@SUM(A1)', "'@SUM(A1)", 'at'],
    ['\tx', "'\tx", 'tab'],
    [{ to: 'admin' }, '"{""to"":""admin""}"', 'details as JSON'],
  ];
  for (const [value, expected, why] of cases) it(`${why}: ${JSON.stringify(value)}`, () => assert.equal(csvField(value), expected));
});

describe('audit queries: since and until', () => {
  const good: Array<[string, string]> = [
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T09:30', '2026-12-01T09:30:00.000Z'],
    ['2026-12-01T09:30:15Z', '2026-12-01T09:30:15.000Z'],
    ['2026-12-01T09:30:15.5+01:00', '2026-12-01T08:30:15.500Z'],
  ];
  for (const [text, iso] of good) it(`reads ${text}`, () => assert.equal(parseTime('since', text), iso));
  it('leaves an absent one absent', () => assert.equal(parseTime('since', undefined), undefined));
  for (const bad of ['yesterday', '2026-13-01', '2026-12-01 09:30', '1700000000', '2026-12-01T25:00Z']) {
    it(`refuses ${JSON.stringify(bad)} naming the field`, () => {
      assert.throws(() => parseTime('until', bad), (err: unknown) => err instanceof AppError && err.code === 'VALIDATION' && /^until must be/.test(err.message));
    });
  }
});

describe('server settings: secrets redacted by name and in URLs', () => {
  it('redacts fields named like secrets at any depth, and URL passwords', () => {
    const redacted = redactDeep({
      adminToken: 'abc',
      providers: [{ id: 'kc', clientSecret: 's3cret', clientSecretFile: '/run/secret' }],
      store: { credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } },
      databaseUrl: 'postgres://codeyard:hunter2@db:5432/codeyard',
      sessionTtlMs: 3600_000,
      deviceCodesPerMinute: 30,
      domain: 'localhost',
    }) as Record<string, unknown>;
    assert.equal(redacted.adminToken, REDACTED);
    assert.deepEqual(redacted.providers, [{ id: 'kc', clientSecret: REDACTED, clientSecretFile: REDACTED }]);
    assert.deepEqual(redacted.store, { credentials: REDACTED });
    assert.equal(redacted.databaseUrl, `postgres://codeyard:${REDACTED}@db:5432/codeyard`);
    assert.equal(redacted.sessionTtlMs, 3600_000, 'a duration is no secret');
    assert.equal(redacted.deviceCodesPerMinute, 30);
    assert.ok(!JSON.stringify(redacted).match(/hunter2|s3cret|SK|abc/));
  });
});
