import { SETTINGS, type Variable } from './config-table.js';

/** Every documented variable, in table order. */
function variables(): Variable[] {
  return Object.values(SETTINGS).flatMap((setting) => setting.vars);
}

/** The README's Configuration table (Markdown); a test keeps the README equal to it. */
export function configTable(): string {
  const rows = variables().map((v) => `| \`${v.name}\` | ${v.shown} | ${v.help} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** What `npm start -- --help` prints: the same table as plain text. */
export function helpText(): string {
  const plain = (s: string): string => s.replaceAll('`', '');
  const lines = variables().map((v) => `  ${v.name}\n      ${plain(v.help)} (default: ${plain(v.shown)})`);
  return ['Usage: npm start   (node portal/dist/src/main.js [--help])', '', 'Codeyard is configured by environment variables, read once at start:', '', ...lines, ''].join('\n');
}
