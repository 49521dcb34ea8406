/** Human output: aligned tables, sizes and times. JSON output is the API's own objects (see session.ts). */

/** Columns padded to their widest cell (the last one not padded), two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => visibleLength(row[i] ?? ''))));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}

function visibleLength(text: string): number {
  return [...text].length;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** How long ago an ISO time was, in the largest whole unit ("3 min ago", "2 days ago"). */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return iso;
  const steps: [number, string][] = [
    [86_400, 'day'],
    [3600, 'h'],
    [60, 'min'],
  ];
  for (const [size, name] of steps) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return name === 'day' ? `${n} day${n === 1 ? '' : 's'} ago` : `${n} ${name} ago`;
    }
  }
  return 'just now';
}

/** A word for a repl's app state: "running", "exited 1", "stopped", "–". */
export function appWord(app: { running: boolean; exitCode?: number | null; signal?: string | null; stopped?: boolean; startedAt?: string } | undefined): string {
  if (!app) return '-';
  if (app.running) return 'running';
  if (app.stopped) return 'stopped';
  if (app.signal) return `ended ${app.signal}`;
  if (app.exitCode !== undefined && app.exitCode !== null) return `exited ${app.exitCode}`;
  return '-';
}
