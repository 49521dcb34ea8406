/** Figures as people read them: 312 MB, 1.4 GB (decimal units, as the README's tables). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Math.round(bytes / 1e6)} MB`;
}

/** A CPU share: 100 % is one core. */
export function formatCpu(percent: number | undefined): string {
  return percent === undefined ? '–' : `${percent < 10 ? percent.toFixed(1) : Math.round(percent)} %`;
}

const AGE_UNITS = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
] as const;

/** How long ago `iso` was, as people say it: "just now", "5 minutes ago", "yesterday". */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const unit = AGE_UNITS.find(([, size]) => Math.abs(seconds) >= size);
  if (!unit) return 'just now';
  return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(seconds / unit[1]), unit[0]);
}
