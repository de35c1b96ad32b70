/**
 * The promotion side of "what is promoted is what was judged" (issue #16): a promoter resolves
 * the closure it is about to write and compares it with what the verdict recorded the gates
 * judged (`JudgedClosure`). A manifest the gates never saw (an entry of an index that ARM
 * import takes whole while the gates judged a filtered copy, say) stops the promotion before
 * any byte moves.
 */
import { ContentRejectedError } from '../errors';
import type { JudgedClosure } from '../pipeline/ports';
import type { Closure, ClosureManifest } from './closure';
import { formatPlatform } from './platform-filter';

/** The manifests of `closure` that `judged` does not hold. */
export function unjudged(closure: Closure, judged: JudgedClosure): ClosureManifest[] {
  const seen = new Set(judged.manifests);
  return [...closure.manifests.values()].filter((m) => !seen.has(m.digest));
}

/** Throws `CLOSURE_NOT_JUDGED` naming what would be promoted without having been judged, and why. */
export function assertJudged(closure: Closure, judged: JudgedClosure, what: string, why = 'it was not judged'): void {
  const missing = unjudged(closure, judged);
  if (missing.length === 0) return;
  const named = missing.slice(0, 3).map(describe).join(', ');
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : '';
  throw new ContentRejectedError('CLOSURE_NOT_JUDGED', `${what}: would promote ${missing.length} manifest(s) the gates did not judge (${named}${more}); ${why}, so nothing is promoted`);
}

function describe(m: ClosureManifest): string {
  const platform = m.descriptor?.platform ? ` ${formatPlatform(m.descriptor.platform)}` : '';
  return `${m.digest} (${m.kind === 'image' ? 'runnable image' : m.kind}${platform})`;
}
