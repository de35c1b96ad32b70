/**
 * Platform names `os/arch[/variant]` as the config writes them, and how a required platform is
 * matched against what an image carries. Variants follow containerd's normalisation
 * (https://github.com/containerd/platforms/blob/main/database.go): `arm64` without a variant is
 * `v8`, `arm` is `v7`, `amd64` is `v1`, so `linux/arm64` is satisfied by `linux/arm64/v8`.
 */
import type { Platform } from '../oci/schema';

/** Variant an architecture has when none is written. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7', amd64: 'v1' };

/** `os/arch[/variant]` of a platform object (an index entry's, or an image config's fields). */
export function platformName(platform: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined && p !== '').join('/');
}

/** The name with the architecture's default variant filled in, for comparison. */
export function normalisePlatform(name: string): string {
  const [os, arch, variant] = name.toLowerCase().split('/');
  const v = variant ?? (arch !== undefined ? DEFAULT_VARIANT[arch] : undefined);
  return [os, arch, v].filter((p) => p !== undefined).join('/');
}

/** True when an image platform satisfies a required one (same os and architecture, same variant after normalisation). */
export function platformMatches(required: string, actual: string): boolean {
  return normalisePlatform(required) === normalisePlatform(actual);
}
