import type { AuditEvent } from '@codeyard/common/api/admin';

/** The CSV columns, in order: the event's fields, `details` as JSON. */
export const CSV_COLUMNS = ['id', 'at', 'kind', 'account', 'account_email', 'credential', 'credential_id', 'target_type', 'target_id', 'target_account', 'address', 'details'] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A field a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe, as
 * OWASP's CSV injection advice says: an address or a name is text someone else typed. A number
 * (a grade's exit code of -1) is no formula and stays a number a spreadsheet can sum.
 */
export function csvField(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvLine(event: AuditEvent): string {
  const values = [event.id, event.at, event.kind, event.account, event.accountEmail, event.credential, event.credentialId, event.targetType, event.targetId, event.targetAccount, event.address, event.details];
  return `${values.map(csvField).join(',')}\r\n`;
}
