/**
 * Platform filters (`os/arch[/variant]`) and the smaller index they yield.
 *
 * Matching follows containerd's normalisation: `x86_64` is `amd64`, `aarch64` is `arm64`;
 * `arm64` without a variant is `v8` and `arm` is `v7`; a filter without a variant accepts any.
 * Filtering an index keeps every field of it (annotations, media type, unknown fields) and
 * drops only entries of other platforms; entries without a platform are kept, and BuildKit
 * attestation manifests (`vnd.docker.reference.type: attestation-manifest`) follow the
 * image they describe (https://docs.docker.com/build/metadata/attestations/attestation-storage/).
 */
import { ConfigError, ContentRejectedError } from '../errors';
import type { Descriptor, Platform } from './schema';

/** One wanted platform. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64' };
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };
const REFERENCE_TYPE = 'vnd.docker.reference.type';
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';

/** Parses `os/arch[/variant]` (`linux/arm64`, `linux/arm/v7`). */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new ConfigError(`platform ${JSON.stringify(text)} must be os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`, { path: 'platforms' });
  }
  const [os, arch, variant] = parts.map((p) => p.toLowerCase());
  return { os, architecture: ARCH_ALIASES[arch] ?? arch, ...(variant !== undefined ? { variant } : {}) };
}

/** `os/arch[/variant]` of a platform, for messages. */
export function formatPlatform(platform: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** True when the platform is one of the wanted ones. */
export function platformMatches(wanted: readonly PlatformSpec[], platform: Pick<Platform, 'os' | 'architecture' | 'variant'>): boolean {
  const arch = ARCH_ALIASES[platform.architecture] ?? platform.architecture;
  const variant = platform.variant ?? DEFAULT_VARIANT[arch];
  return wanted.some((w) => w.os === platform.os && w.architecture === arch && (w.variant === undefined || w.variant === variant));
}

/** What filtering an index gave: the same index (copy it verbatim) or new bytes with fewer entries. */
export type FilteredIndex = { changed: false } | { changed: true; bytes: Buffer; kept: Descriptor[]; dropped: number };

/**
 * Keeps the entries of `index` (its parsed JSON, all fields) that match `wanted`. Refuses an
 * index with no matching platform: an empty copy would be a valid index of nothing.
 */
export function filterIndex(index: Record<string, unknown> & { manifests: Descriptor[] }, wanted: readonly PlatformSpec[], what: string): FilteredIndex {
  const images = index.manifests.filter((m) => m.annotations?.[REFERENCE_TYPE] !== 'attestation-manifest');
  const keptImages = new Set(images.filter((m) => m.platform === undefined || platformMatches(wanted, m.platform)).map((m) => m.digest));
  if (!images.some((m) => m.platform !== undefined && keptImages.has(m.digest))) {
    const offered = images.flatMap((m) => (m.platform ? [formatPlatform(m.platform)] : []));
    throw new ContentRejectedError(
      'PLATFORM_NOT_FOUND',
      `${what} has none of the platforms ${wanted.map(formatPlatform).join(', ')} (it has ${offered.join(', ') || 'no platform entries'})`,
    );
  }
  const kept = index.manifests.filter((m) =>
    m.annotations?.[REFERENCE_TYPE] === 'attestation-manifest' ? keptImages.has(m.annotations[REFERENCE_DIGEST] ?? '') : keptImages.has(m.digest),
  );
  if (kept.length === index.manifests.length) return { changed: false };
  // Spreading keeps the index's own key order and every field but `manifests`, which takes its old place.
  const bytes = Buffer.from(JSON.stringify({ ...index, manifests: kept }));
  return { changed: true, bytes, kept, dropped: index.manifests.length - kept.length };
}
