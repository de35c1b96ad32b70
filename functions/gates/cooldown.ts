/**
 * Gate `cooldown`: the digest was first seen by basegate at least this long ago. It reads our
 * own first-seen record (kept by detect), so it works with every registry, unlike minimum-age
 * checks that need registry timestamps. Until then it is `pending`, and so is a digest with no
 * first-seen record: time that was not observed is not counted.
 */
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import type { Clock } from '../pipeline/ports';
import { formatDuration } from './human-units';

/** Options of {@link cooldownGate}. */
export interface CooldownGateOptions {
  /** How long after first sight a digest may pass, in milliseconds. */
  cooldown: number;
  /** Overrides the validate stage's clock (the context's) when given. */
  clock?: Clock;
}

/** Pending until `cooldown` ms have passed since the digest was first seen; then passes. */
export function cooldownGate(options: CooldownGateOptions): Gate {
  const cooldown = options.cooldown;
  if (!(Number.isFinite(cooldown) && cooldown >= 0)) throw new ConfigError(`cooldown must be a non-negative duration, got ${cooldown}`, { path: 'gates.cooldown' });
  return {
    name: 'cooldown',
    async evaluate({ firstSeen, clock }) {
      if (!firstSeen || Number.isNaN(firstSeen.getTime())) {
        return { gate: 'cooldown', outcome: 'pending', reasons: ['no first-seen record for this digest yet: the cooldown starts when detect records it'], detail: { cooldown } };
      }
      const now = (options.clock ?? clock).now();
      const passesAt = new Date(firstSeen.getTime() + cooldown);
      const detail = { cooldown, firstSeen: firstSeen.toISOString(), passesAt: passesAt.toISOString() };
      if (now.getTime() >= passesAt.getTime()) return { gate: 'cooldown', outcome: 'pass', reasons: [], detail };
      const reason = `cooling down for ${formatDuration(cooldown)}: first seen ${detail.firstSeen}, passes at ${detail.passesAt} (in ${formatDuration(passesAt.getTime() - now.getTime())})`;
      return { gate: 'cooldown', outcome: 'pending', reasons: [reason], detail };
    },
  };
}
