import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { parseRoster } from '../../src/classes/roster.js';
import { normalizeClassCode } from '../../src/classes/class-ids.js';

const refused = (fn: () => unknown, pattern: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof AppError && err.code === 'INVALID_ROSTER' && pattern.test(err.message));

describe('roster parsing', () => {
  it('reads a CSV with any of the header spellings, quotes, CRLF, a BOM and a blank last line', () => {
    const csv = '\uFEFFName,E-mail,Student_ID\r\n"Lovelace, Ada",ada@school.test,S1\r\nBo "B" Ray,,S2\r\n"Cy ""C"" Lu",cy@school.test,\r\n\r\n';
    assert.deepEqual(parseRoster({ csv }), [
      { name: 'Lovelace, Ada', email: 'ada@school.test', studentRef: 'S1' },
      { name: 'Bo "B" Ray', studentRef: 'S2' },
      { name: 'Cy "C" Lu', email: 'cy@school.test' },
    ]);
  });

  it('names the line and field of what is wrong', () => {
    refused(() => parseRoster({ csv: 'email\nada@school.test' }), /line 1: the header row needs a "name" column/);
    refused(() => parseRoster({ csv: 'name,email\nAda,not-an-address' }), /^line 2, email: "not-an-address" is not an email address/);
    refused(() => parseRoster({ csv: 'name,email\nAda,a@s.test\nBo,A@S.test' }), /^line 3, email: A@S.test is on the roster twice \(line 2 has it\)/);
    refused(() => parseRoster({ csv: 'name,student id\nAda,1\n,2' }), /^line 3, name:/);
    refused(() => parseRoster({ csv: 'name\n"Ada' }), /^line 2: a quoted field is never closed/);
    refused(() => parseRoster({ csv: 'name,email\nAda,a@s.test,extra' }), /^line 2: 3 fields, but the header has 2/);
    refused(() => parseRoster([{ name: 'Ada', studentRef: 'x' }, { name: 'Bo', studentRef: 'x' }]), /^row 2, student id: x is on the roster twice \(row 1 has it\)/);
    refused(() => parseRoster({ csv: 'name\n' }), /no students/);
  });

  it('refuses more than 500 students, counting the ones the class has', () => {
    const csv = `name\n${Array.from({ length: 501 }, (_, i) => `S${i}`).join('\n')}`;
    refused(() => parseRoster({ csv }), /at most 500/);
    refused(() => parseRoster([{ name: 'Ada' }, { name: 'Bo' }], Array.from({ length: 499 }, () => ({}))), /would make it 501/);
    refused(() => parseRoster([{ name: 'Ada', email: 'a@s.test' }], [{ email: 'A@s.test' }]), /the class already has it/);
  });

  it('reads class codes as typed: any case, spaces or dashes, no look-alikes', () => {
    assert.equal(normalizeClassCode(' k7qm 2xpd '), 'K7QM-2XPD');
    assert.equal(normalizeClassCode('K7QM-2XP0'), undefined, '0 is not in the alphabet (O is)');
    assert.equal(normalizeClassCode('K7QM'), undefined);
  });
});

