/**
 * `basegate watch --config FILE [--interval 15m | --cron "0 *\/15 * * * *"]`: sync on a schedule
 * until stopped. SIGINT/SIGTERM let the sync in flight finish its promotions, then exit 0;
 * a second signal aborts at once (exit 130).
 */
import { CronExpressionParser } from 'cron-parser';
import { parseDuration } from '../../config/duration';
import { ConfigError, describeError } from '../../errors';
import { parseCommand, UsageError } from '../args';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { SYNC_OPTIONS, syncOnce } from './sync';

const DEFAULT_INTERVAL = '15m';

/** When the next run is due, from an interval or a cron expression. */
export function scheduleFrom(values: { interval?: string; cron?: string }): (from: Date) => Date {
  if (values.interval && values.cron) throw new UsageError('watch: give --interval or --cron, not both');
  if (values.cron) {
    try {
      CronExpressionParser.parse(values.cron);
    } catch (err) {
      throw new UsageError(`watch: --cron ${JSON.stringify(values.cron)} is not a cron expression: ${(err as Error).message}`);
    }
    return (from) => CronExpressionParser.parse(values.cron!, { currentDate: from }).next().toDate();
  }
  let ms: number;
  try {
    ms = parseDuration(values.interval ?? DEFAULT_INTERVAL);
  } catch (err) {
    throw new UsageError(`watch: --interval: ${(err as Error).message}`);
  }
  if (ms < 1000) throw new UsageError('watch: --interval must be at least 1s');
  return (from) => new Date(from.getTime() + ms);
}

export async function runWatch(argv: string[], out: Output): Promise<number> {
  const { values } = parseCommand('watch', argv, { ...SYNC_OPTIONS, interval: { type: 'string' }, cron: { type: 'string' } });
  const next = scheduleFrom(values);
  const abort = new AbortController();
  let stopping = false;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      out.progress(`watch: second ${signal}, aborting`);
      abort.abort();
      process.exit(EXIT.INTERRUPTED);
    }
    stopping = true;
    out.progress(`watch: ${signal} received, finishing the sync in flight`);
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    while (!stopping) {
      try {
        const report = await syncOnce(values, out, abort.signal);
        if (values.json) out.json(report);
      } catch (err) {
        // A bad config or usage stops the watch (exit 2, reported once by main); anything else waits for the next run.
        if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('CONFIG')) throw err;
        out.progress(`watch: sync failed: ${describeError(err)}`);
      }
      if (stopping) break;
      const due = next(new Date());
      out.progress(`watch: next sync at ${due.toISOString()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, due.getTime() - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    out.progress('watch: stopped');
    return EXIT.OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
