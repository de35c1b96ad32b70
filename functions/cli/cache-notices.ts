/** What `check` and `status` say about `upstreamCache:` (issue #22): which images bypass the quarantine cache, and why. */
import type { Config } from '../config/config';

/** One image read from upstream although a cache is configured. */
export interface CacheBypass {
  image: string;
  reason: string;
}

/** The cache and the images that bypass it; undefined without `upstreamCache:`. */
export function cacheSummary(config: Config): { registry: string; cached: number; bypassed: CacheBypass[] } | undefined {
  if (!config.upstreamCache) return undefined;
  const bypassed: CacheBypass[] = [];
  let cached = 0;
  for (const image of config.images) {
    if (image.cacheRoute?.kind === 'bypass') bypassed.push({ image: image.source.name, reason: image.cacheRoute.reason });
    else if (image.cacheRoute?.kind === 'cache') cached++;
  }
  return { registry: config.upstreamCache.registry, cached, bypassed };
}

/** Human lines: one per bypassing image. */
export function cacheNoticeLines(config: Config): string[] {
  const summary = cacheSummary(config);
  if (!summary) return [];
  return summary.bypassed.map((b) => `notice: ${b.image} is read from upstream, not through the upstream cache ${summary.registry}: ${b.reason}`);
}
