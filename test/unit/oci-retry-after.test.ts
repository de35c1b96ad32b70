/** Retry-After (RFC 9110 §10.2.3) and backoff with full jitter. */
import { backoffDelay, parseRetryAfter } from '../../functions/oci/registry/retry';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['5', 5000],
    [' 120 ', 120_000],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:59:00 GMT', 0], // a date in the past means "now"
    ['Sunday, 01-Mar-26 12:01:00 GMT', 60_000], // RFC 850, obsolete but allowed
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 350, maxRetryAfterMs: 1000 };
  it.each([
    [1, 100],
    [2, 200],
    [3, 350], // capped
    [10, 350],
  ])('attempt %i has ceiling %i ms', (attempt, ceiling) => {
    expect(backoffDelay(attempt, policy, () => 0)).toBe(0);
    expect(backoffDelay(attempt, policy, () => 0.999999)).toBe(ceiling - 1);
    expect(backoffDelay(attempt, policy, () => 0.5)).toBe(Math.floor(ceiling / 2));
  });
});
