/**
 * What the CLI prints. Results go to stdout (one JSON document with --json, nothing else);
 * progress and diagnostics go to stderr, so `--json | jq` always works.
 */
import { stripControl } from '../gates/scrub-output';
import type { TagCheck } from '../pipeline/detect';
import type { SyncReport, TagReport } from '../pipeline/sync';

export interface Output {
  /** Result text on stdout. */
  result(text: string): void;
  /** A JSON document on stdout. */
  json(value: unknown): void;
  /** Progress and diagnostics on stderr. */
  progress(text: string): void;
}

export const consoleOutput: Output = {
  // Text read from registries and programs is shown, never obeyed: no escape sequence reaches the terminal.
  result: (text) => process.stdout.write(`${stripControl(text).replace(/\n$/, '')}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  progress: (text) => process.stderr.write(`${text}\n`),
};

/** `sha256:0123456789ab` — enough to tell digests apart in a table. */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return '-';
  const [algorithm, hex] = digest.split(':');
  return `${algorithm}:${hex.slice(0, 12)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

/** One line per tracked tag: reference, status, digest, previous digest (and why it failed). */
export function formatChecks(checks: TagCheck[]): string {
  const rows = [['REFERENCE', 'STATUS', 'DIGEST', 'PREVIOUS', 'REASON']];
  for (const c of checks) rows.push([c.source.toString(), c.status, shortDigest(c.digest), shortDigest(c.previousDigest), c.error ?? '']);
  return table(rows);
}

/** One line per tracked tag after a sync, and the totals. */
export function formatSync(report: SyncReport): string {
  const rows = [['REFERENCE', 'STATUS', 'DIGEST', 'TARGET', 'REASON']];
  for (const t of report.tags) rows.push([t.source, t.status, shortDigest(t.digest), shortDigest(t.targetDigest), t.reason ?? rebuildSummary(t)]);
  return `${table(rows)}\n${formatTotals(report)}`;
}

export function formatTotals(report: SyncReport): string {
  return Object.entries(report.totals)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ') || 'nothing tracked';
}

function rebuildSummary(t: TagReport): string {
  if (!t.rebuilds?.length) return '';
  return `rebuilds: ${t.rebuilds.map((r) => `${r.dependent}=${r.status}`).join(', ')}`;
}
