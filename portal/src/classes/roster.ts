import { AppError } from '@codeyard/common/errors';
import { ROSTER_MAX, type Roster, type RosterRow } from '@codeyard/common/api/classes';
import { emailProblem } from '../accounts/accounts.js';

/** The CSV header names each roster field is recognised by (lowercased, spaces and `_` alike). */
const HEADERS: Record<string, keyof RosterRow> = { name: 'name', email: 'email', 'e mail': 'email', 'student id': 'studentRef', id: 'studentRef', 'student ref': 'studentRef' };

function rosterError(message: string): AppError {
  return new AppError('INVALID_ROSTER', message);
}

/**
 * A roster as rows, checked: rows as given, or a CSV (RFC 4180: quoted fields, `""` inside
 * quotes, CRLF or LF, a BOM) with a header row naming `name` and any of `email`, `student id`.
 * Every refusal names the line (CSV) or row and the field; nothing is made from a bad roster.
 * `existing` are rows the class has already (an address may be on the roster once).
 */
export function parseRoster(roster: Roster, existing: ReadonlyArray<Pick<RosterRow, 'email' | 'studentRef'>> = []): RosterRow[] {
  const rows = Array.isArray(roster) ? roster.map((row, i) => ({ row, where: `row ${i + 1}` })) : csvRows(roster.csv);
  if (rows.length === 0) throw rosterError('the roster has no students');
  if (rows.length + existing.length > ROSTER_MAX) throw rosterError(`a class may have at most ${ROSTER_MAX} students; this roster would make it ${rows.length + existing.length}`);
  const emails = new Map<string, string>(existing.filter((r) => r.email).map((r) => [r.email!.toLowerCase(), 'the class already']));
  const refs = new Map<string, string>(existing.filter((r) => r.studentRef).map((r) => [r.studentRef!, 'the class already']));
  return rows.map(({ row, where }) => {
    const name = row.name?.trim() ?? '';
    // eslint-disable-next-line no-control-regex
    if (!name || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) throw rosterError(`${where}, name: a name of 1 to 100 printable characters is needed`);
    const out: RosterRow = { name };
    const email = row.email?.trim();
    if (email) {
      const problem = emailProblem(email);
      if (problem) throw rosterError(`${where}, email: ${problem}`);
      const seen = emails.get(email.toLowerCase());
      if (seen) throw rosterError(`${where}, email: ${email} is on the roster twice (${seen} has it)`);
      emails.set(email.toLowerCase(), where);
      out.email = email;
    }
    const ref = row.studentRef?.trim();
    if (ref) {
      // eslint-disable-next-line no-control-regex
      if (ref.length > 64 || /[\u0000-\u001f\u007f]/.test(ref)) throw rosterError(`${where}, student id: at most 64 printable characters`);
      const seen = refs.get(ref);
      if (seen) throw rosterError(`${where}, student id: ${ref} is on the roster twice (${seen} has it)`);
      refs.set(ref, where);
      out.studentRef = ref;
    }
    return out;
  });
}

/** The data rows of a roster CSV, each with the line it came from. */
function csvRows(text: string): Array<{ row: Partial<RosterRow>; where: string }> {
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = records.shift();
  if (!header) throw rosterError('the CSV is empty: a header row (name, email, student id) comes first');
  const columns = header.fields.map((h) => HEADERS[h.trim().toLowerCase().replace(/[_\s-]+/g, ' ')]);
  if (!columns.includes('name')) throw rosterError(`line ${header.line}: the header row needs a "name" column (it has ${header.fields.map((h) => JSON.stringify(h)).join(', ')})`);
  const out: Array<{ row: Partial<RosterRow>; where: string }> = [];
  for (const { fields, line } of records) {
    if (fields.every((f) => f.trim() === '')) continue; // a blank line, as spreadsheets end files
    if (fields.length > header.fields.length) throw rosterError(`line ${line}: ${fields.length} fields, but the header has ${header.fields.length}`);
    const row: Partial<RosterRow> = {};
    fields.forEach((value, i) => {
      const column = columns[i];
      if (column && value.trim()) row[column] = value;
    });
    out.push({ row, where: `line ${line}` });
    if (out.length > ROSTER_MAX) throw rosterError(`a class may have at most ${ROSTER_MAX} students; the CSV has more`);
  }
  return out;
}

/**
 * RFC 4180 records with the line each starts on; an unclosed quote is refused with its line. A
 * quote inside a field that does not start with one is kept as it is (spreadsheets write those).
 */
export function parseCsv(text: string): Array<{ fields: string[]; line: number }> {
  const records: Array<{ fields: string[]; line: number }> = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let quoteLine = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ fields, line: start });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (quoted) throw rosterError(`line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || fields.length) {
    fields.push(field);
    records.push({ fields, line: start });
  }
  return records;
}
