/**
 * Gate `maxAge`: each platform's image config `created` is not older than the bound. An image
 * without a valid `created` fails: its age cannot be shown, and reproducible builds that set it
 * to the epoch (SOURCE_DATE_EPOCH) are better served by `cooldown`.
 */
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import type { Clock } from '../pipeline/ports';
import { formatDuration } from './human-units';
import { judgedPlatforms, noPlatformReason } from './judged-platforms';

/** Options of {@link maxAgeGate}. */
export interface MaxAgeGateOptions {
  /** Oldest accepted `created`, as an age in milliseconds. */
  maxAge: number;
  /** Overrides the validate stage's clock (the context's) when given. */
  clock?: Clock;
}

/** Strict RFC 3339 date-time, as the image spec requires for `created` (https://github.com/opencontainers/image-spec/blob/main/config.md). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Fails for each platform whose config `created` is missing, invalid, or older than `maxAge` ms. */
export function maxAgeGate(options: MaxAgeGateOptions): Gate {
  const maxAge = options.maxAge;
  if (!(Number.isFinite(maxAge) && maxAge > 0)) throw new ConfigError(`maxAge must be a positive duration, got ${maxAge}`, { path: 'gates.maxAge' });
  return {
    name: 'maxAge',
    async evaluate(context) {
      const { inspector, clock } = context;
      const now = (options.clock ?? clock).now().getTime();
      const platforms = await judgedPlatforms(context);
      if (platforms.length === 0) return { gate: 'maxAge', outcome: 'fail', reasons: [noPlatformReason(context)] };
      const checks = await Promise.all(
        platforms.map(async (p) => {
          const created = (await inspector.config(p)).created;
          const at = typeof created === 'string' && RFC3339.test(created) ? Date.parse(created) : NaN;
          if (created === undefined) return { platform: p.platform, reason: `${p.platform}: the image config has no created date` };
          if (Number.isNaN(at)) return { platform: p.platform, created, reason: `${p.platform}: the image config's created date ${JSON.stringify(created.slice(0, 64))} is not an RFC 3339 date-time` };
          const age = now - at;
          const reason = age > maxAge ? `${p.platform}: created ${created} (${formatDuration(age)} ago), older than the ${formatDuration(maxAge)} allowed` : undefined;
          return { platform: p.platform, created, ageMs: age, reason };
        }),
      );
      const reasons = checks.flatMap((c) => (c.reason ? [c.reason] : []));
      return { gate: 'maxAge', outcome: reasons.length ? 'fail' : 'pass', reasons, detail: { maxAge, platforms: checks.map(({ reason: _r, ...c }) => c) } };
    },
  };
}
