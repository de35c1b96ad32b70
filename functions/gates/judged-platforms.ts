/**
 * Which platform images the per-platform gates (maxSize, maxAge, labels, command) judge: the
 * ones that would be promoted. When the image lists `platforms:`, only those are copied, so a
 * platform nobody asked for (a Windows variant, s390x) neither fails nor passes the digest;
 * otherwise every runnable platform is. None at all fails those gates: nothing vacuously passes.
 */
import type { GateContext, PlatformImage } from '../pipeline/gate-port';
import { platformMatches } from './platform-name';

/** The platform images a gate judges (see the module comment). */
export async function judgedPlatforms(context: Pick<GateContext, 'inspector' | 'image'>): Promise<PlatformImage[]> {
  const all = await context.inspector.platforms();
  const required = context.image.platforms;
  return required?.length ? all.filter((p) => required.some((r) => platformMatches(r, p.platform))) : all;
}

/** Why a gate fails when {@link judgedPlatforms} found none. */
export function noPlatformReason(context: Pick<GateContext, 'image'>): string {
  const required = context.image.platforms;
  return required?.length ? `the image has none of the required platforms (${required.join(', ')})` : 'the image has no runnable platform';
}
