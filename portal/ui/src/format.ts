/** Figures as people read them: 312 MB, 1.4 GB (decimal units, as the README's tables). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Math.round(bytes / 1e6)} MB`;
}

/** A CPU share: 100 % is one core. */
export function formatCpu(percent: number | undefined): string {
  return percent === undefined ? '–' : `${percent < 10 ? percent.toFixed(1) : Math.round(percent)} %`;
}
