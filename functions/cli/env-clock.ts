/**
 * `BASEGATE_NOW`: a test and operations seam of the CLI only. When set to an ISO 8601 time, the
 * CLI's clock starts at that time and runs on from there, so cooldowns, backoffs, first-seen and
 * audit times are computed as if it were then: tests prove a 24h cooldown without waiting, and an
 * operator can rehearse what a sync would let through tomorrow (`BASEGATE_NOW=... basegate sync
 * --dry-run`). The Functions app never reads it.
 */
import type { Clock } from '../pipeline/ports';
import { UsageError } from './args';

/** The variable's name. */
const NOW_VARIABLE = 'BASEGATE_NOW';

/** A date and a time with a zone: `Date.parse` alone would take `5` or a local time. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The clock `BASEGATE_NOW` asks for, or undefined when it is not set; a usage error when it is not a time. */
export function clockFromEnvironment(env: Readonly<Record<string, string | undefined>>): Clock | undefined {
  const text = env[NOW_VARIABLE];
  if (text === undefined || text === '') return undefined;
  const at = Date.parse(text);
  if (!ISO_TIME.test(text) || Number.isNaN(at)) {
    throw new UsageError(`${NOW_VARIABLE}=${JSON.stringify(text)}: expected an ISO 8601 time with a zone, such as 2026-03-01T12:00:00Z`);
  }
  const offset = at - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}
