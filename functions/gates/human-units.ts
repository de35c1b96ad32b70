/**
 * Sizes and durations written for people, in the units basegate.yaml accepts (`500MB`, `24h`,
 * `90d`), so a gate's reason can be compared with the config line that produced it.
 */

const SIZE_UNITS: ReadonlyArray<[string, number]> = [
  ['GB', 1e9],
  ['MB', 1e6],
  ['KB', 1e3],
];

/** Bytes in decimal units with one decimal (`612.3MB`), exact below 1 KB (`512B`). */
export function formatBytes(bytes: number): string {
  for (const [unit, factor] of SIZE_UNITS) {
    if (bytes >= factor) return `${trimDecimal(bytes / factor)}${unit}`;
  }
  return `${bytes}B`;
}

const DURATION_UNITS: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A duration in its two largest units (`1d 2h`, `3h 12m`, `45s`); under a second in ms (`400ms`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const first = DURATION_UNITS.findIndex(([, factor]) => abs >= factor);
  if (first < 0) return `${sign}${Math.round(abs)}ms`;
  const [unit, factor] = DURATION_UNITS[first];
  const parts = [`${Math.floor(abs / factor)}${unit}`];
  const next = DURATION_UNITS[first + 1];
  const remainder = next ? Math.floor((abs % factor) / next[1]) : 0;
  if (next && remainder > 0) parts.push(`${remainder}${next[0]}`);
  return sign + parts.join(' ');
}

function trimDecimal(n: number): string {
  return (Math.round(n * 10) / 10).toFixed(1).replace(/\.0$/, '');
}
