/**
 * Gate `platforms`: the digest carries every platform the image-level `platforms:` list of
 * basegate.yaml requires. A digest lacking one is rejected, never promoted with fewer platforms
 * (issue #5). A single-platform manifest is judged by its config's os/architecture.
 */
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import { platformMatches } from './platform-name';

/** Options of {@link platformsGate}. */
export interface PlatformsGateOptions {
  /** Required platforms, `os/arch[/variant]`. */
  platforms: readonly string[];
}

/** Passes when every required platform is in the image; fails naming the missing ones and what is there. */
export function platformsGate(options: PlatformsGateOptions): Gate {
  const required = [...options.platforms];
  if (required.length === 0) throw new ConfigError('the platforms gate needs at least one platform', { path: 'platforms' });
  return {
    name: 'platforms',
    async evaluate({ inspector }) {
      // Judged on what is promoted; the reason names everything the image offers.
      const available = (await inspector.platforms()).map((p) => p.platform);
      const missing = required.filter((r) => !available.some((a) => platformMatches(r, a)));
      const detail = { required, available };
      if (missing.length === 0) return { gate: 'platforms', outcome: 'pass', reasons: [], detail };
      const offered = await inspector.offered();
      const has = offered.length ? offered.join(', ') : 'no runnable platform';
      return { gate: 'platforms', outcome: 'fail', reasons: [`missing ${missing.join(', ')}; the image has ${has}`], detail };
    },
  };
}
