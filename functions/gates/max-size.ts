/**
 * Gate `maxSize`: the compressed size of each platform (its config plus its layers, as the
 * manifests declare them: what a pull transfers) is at most the limit. Judged platforms: judged-platforms.ts.
 */
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import { formatBytes } from './human-units';
import { judgedPlatforms, noPlatformReason } from './judged-platforms';

/** Options of {@link maxSizeGate}. */
export interface MaxSizeGateOptions {
  /** Largest compressed size of one platform, in bytes. */
  maxSize: number;
}

/** Fails for each platform whose config + layers exceed `maxSize` bytes, naming the platform, its size and the limit. */
export function maxSizeGate(options: MaxSizeGateOptions): Gate {
  const limit = options.maxSize;
  if (!(Number.isFinite(limit) && limit > 0)) throw new ConfigError(`maxSize must be a positive size, got ${limit}`, { path: 'gates.maxSize' });
  return {
    name: 'maxSize',
    async evaluate(context) {
      const platforms = await judgedPlatforms(context);
      if (platforms.length === 0) return { gate: 'maxSize', outcome: 'fail', reasons: [noPlatformReason(context)] };
      const sizes = platforms.map((p) => ({
        platform: p.platform,
        bytes: p.manifest.config.size + p.manifest.layers.reduce((sum, l) => sum + l.size, 0),
      }));
      const over = sizes.filter((s) => s.bytes > limit);
      const reasons = over.map((s) => `${s.platform}: ${formatBytes(s.bytes)} compressed (${s.bytes} bytes), over the ${formatBytes(limit)} limit`);
      return { gate: 'maxSize', outcome: over.length ? 'fail' : 'pass', reasons, detail: { limit, sizes } };
    },
  };
}
