/**
 * `basegate sync --config FILE [--state FILE] [--json] [--dry-run] [--force]`:
 * detect → validate → promote → rebuild for every tracked tag, once.
 */
import { sync, type SyncReport } from '../../pipeline/sync';
import { parseCommand, requireConfig } from '../args';
import { composeCli } from '../compose';
import { EXIT } from '../exit-codes';
import { formatSync, formatTotals, shortDigest, type Output } from '../output';

export const SYNC_OPTIONS = {
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

/** Runs one sync with an already parsed command line; shared with `watch`. */
export async function syncOnce(values: { config?: string; state?: string; json?: boolean; 'dry-run'?: boolean; force?: boolean }, out: Output, signal?: AbortSignal): Promise<SyncReport> {
  const runtime = await composeCli({ configFile: requireConfig('sync', values), stateFile: values.state, readOnly: values['dry-run'], signal, buildStages: true });
  try {
    const started = Date.now();
    const report = await sync(runtime.images, runtime.deps, {
      dryRun: values['dry-run'],
      force: values.force,
      onImageDone: (image, tags) => {
        for (const t of tags) out.progress(`${t.status.padEnd(9)} ${t.source} ${shortDigest(t.digest)}${t.reason ? `  (${t.reason})` : ''}`);
      },
    });
    out.progress(`sync: ${formatTotals(report)} in ${((Date.now() - started) / 1000).toFixed(1)} s${values['dry-run'] ? ' (dry run: nothing written)' : ''}`);
    return report;
  } finally {
    await runtime.close();
  }
}

export async function runSync(argv: string[], out: Output): Promise<number> {
  const { values } = parseCommand('sync', argv, SYNC_OPTIONS);
  const report = await syncOnce(values, out);
  if (values.json) out.json(report);
  else out.result(formatSync(report));
  return report.ok ? EXIT.OK : EXIT.FAILED;
}
