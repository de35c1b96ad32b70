/**
 * Gate `maxSize`: the compressed size of each platform the promotion writes (its config plus its
 * layers, as the manifests declare them: what a pull transfers), together with the attachments
 * judged with it (its attestations and their signatures), is at most the limit; an attachment
 * anchored to no platform (one hanging off an index) is held to the limit on its own. Judged
 * platforms: judged-platforms.ts; the whole promotion is bounded by `maxTotalSize` (gates/closure.ts).
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

/** Fails for each platform (with its attachments) or lone attachment over `maxSize` bytes, naming it, its size and the limit. */
export function maxSizeGate(options: MaxSizeGateOptions): Gate {
  const limit = options.maxSize;
  if (!(Number.isFinite(limit) && limit > 0)) throw new ConfigError(`maxSize must be a positive size, got ${limit}`, { path: 'gates.maxSize' });
  return {
    name: 'maxSize',
    async evaluate(context) {
      const platforms = await judgedPlatforms(context);
      if (platforms.length === 0) return { gate: 'maxSize', outcome: 'fail', reasons: [noPlatformReason(context)] };
      const sizes = platforms.map((p) => {
        const attached = (p.attachments ?? []).reduce((sum, a) => sum + a.size, 0);
        return { platform: p.platform, digest: p.descriptor.digest, bytes: p.manifest.config.size + p.manifest.layers.reduce((sum, l) => sum + l.size, 0) + attached, attached };
      });
      const loose = (await context.inspector.closure()).entries.filter((e) => e.kind === 'attachment' && e.attachedTo === undefined);
      const reasons = [
        ...sizes.filter((s) => s.bytes > limit).map((s) => `${s.platform}: ${formatBytes(s.bytes)} compressed (${s.bytes} bytes${s.attached ? `, ${s.attached} of them in its attachments` : ''}), over the ${formatBytes(limit)} limit`),
        ...loose.filter((a) => a.size > limit).map((a) => `attachment ${a.digest}: ${formatBytes(a.size)} compressed (${a.size} bytes), over the ${formatBytes(limit)} limit`),
      ];
      return { gate: 'maxSize', outcome: reasons.length ? 'fail' : 'pass', reasons, detail: { limit, sizes } };
    },
  };
}
