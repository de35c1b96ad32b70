/**
 * Durations in the config (`24h`, `90d`, `1h30m`): cooldowns, maximum ages, timeouts.
 * Units: s, m, h, d, w. A bare number is refused: `10` could mean seconds or minutes.
 */
import { BasegateError } from '../errors';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const WHOLE = /^(?:\d{1,9}[smhdw])+$/;
const PART = /(\d{1,9})([smhdw])/g;

/** Parses `24h`, `90d`, `1h30m` into milliseconds; throws `DURATION_INVALID` otherwise. */
export function parseDuration(input: string): number {
  const text = typeof input === 'string' ? input.trim() : '';
  if (!WHOLE.test(text)) {
    throw new BasegateError('DURATION_INVALID', `expected a duration such as 30s, 15m, 24h, 7d or 1h30m (units s, m, h, d, w), found ${JSON.stringify(input)}`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit];
  if (!Number.isSafeInteger(ms)) throw new BasegateError('DURATION_INVALID', `duration ${JSON.stringify(input)} is too long`);
  return ms;
}

/** Formats milliseconds back into the shortest exact form (`86400000` → `1d`), for messages and status. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  return out || `${ms}ms`;
}
