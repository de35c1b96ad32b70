/**
 * Which platform images the per-platform gates (maxSize, maxAge, labels, command) judge: every
 * runnable image the promotion writes (the inspector's closure: the platforms the promoter
 * keeps, entries without a platform, nested indexes whole, runnable referrers), so nothing is
 * promoted that these gates did not see. None at all fails those gates: nothing vacuously passes.
 */
import type { GateContext, PlatformImage } from '../pipeline/gate-port';

/** The platform images a gate judges (see the module comment). */
export async function judgedPlatforms(context: Pick<GateContext, 'inspector'>): Promise<PlatformImage[]> {
  return context.inspector.platforms();
}

/** Why a gate fails when {@link judgedPlatforms} found none. */
export function noPlatformReason(context: Pick<GateContext, 'image'>): string {
  const required = context.image.platforms;
  return required?.length ? `the image has none of the required platforms (${required.join(', ')})` : 'the image has no runnable platform';
}
