/**
 * Validate: every gate of an image on one pinned digest. Fail closed:
 * - all gates must pass for `approved`; any `fail` makes it `rejected`;
 * - a gate that throws (timeout, scanner crash, ARM down) is `pending`, never a pass;
 * - a decided verdict (approved or rejected) is not re-evaluated on every poll: only when the
 *   gate configuration changed (fingerprint) or when forced. Pending ones are re-evaluated.
 */
import { describeError, isCacheUnavailable } from '../errors';
import type { ImageRef } from '../oci/reference';
import type { Gate, GateContext, ImageInspector, PromotionClosure } from './gate-port';
import type { Clock, JudgedClosure, StateStore } from './ports';
import { digestKey, tagKey, type Approval, type GateResult, type TagState, type Verdict } from './records';
import { firstSeenAt } from './detect';
import { diffDigests } from './diff';
import type { TrackedImage } from './tracked-image';
import { recordGateVerdicts } from '../telemetry/metrics';

export interface ValidateJob {
  image: TrackedImage;
  tag: string;
  digest: string;
  /** Re-evaluate even a decided verdict. */
  force?: boolean;
  correlationId?: string;
}

export interface ValidateDeps {
  state: StateStore;
  clock: Clock;
  /** The gates configured for an image (the platforms gate included when platforms are required). */
  gatesFor(image: TrackedImage): Gate[];
  /** Read access to the pinned source image. */
  inspect(job: ValidateJob): ImageInspector;
  /** Where a process (scanner, command, ACR Task) pulls a pinned source from: the quarantine cache when one serves it (issue #22). */
  pullRef?(source: ImageRef): ImageRef;
  /** Backoff of pending re-evaluations: first delay and cap. */
  backoff?: { baseMs: number; maxMs: number };
  signal?: AbortSignal;
}

const DEFAULT_BACKOFF = { baseMs: 60_000, maxMs: 6 * 3600_000 };

/** Evaluates (or recalls) the verdict on one digest, records it with an audit entry, and returns it. */
export async function validateDigest(job: ValidateJob, deps: ValidateDeps): Promise<Verdict> {
  const { image, digest } = job;
  const key = digestKey(image.id, digest);
  const known = await deps.state.get<Verdict>('verdict', key);
  if (known && !job.force && known.value.outcome !== 'pending' && known.value.fingerprint === image.gatesFingerprint) return known.value;

  const [tagState, approval] = await Promise.all([
    deps.state.get<TagState>('tag', tagKey(image.id, job.tag)),
    deps.state.get<Approval>('approval', key),
  ]);
  const context: GateContext = {
    image,
    tag: job.tag,
    source: image.source.withTag(job.tag).withDigest(digest),
    digest,
    inspector: deps.inspect(job),
    clock: deps.clock,
    firstSeen: firstSeenAt(tagState?.value, digest),
    approval: approval?.value,
    ...baselineOf(job, tagState?.value, deps),
    ...(deps.pullRef ? { pullRef: deps.pullRef } : {}),
    signal: deps.signal,
  };
  // A quarantine cache that cannot be read fails the stage (retried), before any gate runs: it
  // says nothing about the image, and no gate may read the upstream instead. Other read errors
  // are the gates' to report (pending).
  await context.inspector.mediaType().catch((err: unknown) => {
    if (isCacheUnavailable(err)) throw err;
  });
  const results = await Promise.all(deps.gatesFor(image).map((gate) => runGate(gate, context)));
  const outcome = results.some((r) => r.outcome === 'fail') ? 'rejected' : results.some((r) => r.outcome === 'pending') ? 'pending' : 'approved';
  const attempts = (known?.value.digest === digest && known.value.outcome === 'pending' ? known.value.attempts : 0) + 1;
  const now = deps.clock.now();
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  // An approval covers exactly the closure the gates judged: promote writes nothing else.
  const closure = outcome === 'approved' ? judgedClosure(await context.inspector.closure()) : undefined;
  const verdict: Verdict = {
    imageId: image.id,
    digest,
    outcome,
    gates: results,
    fingerprint: image.gatesFingerprint,
    at: now.toISOString(),
    attempts,
    ...(outcome === 'pending' ? { nextAttemptAt: new Date(now.getTime() + Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempts - 1))).toISOString() } : {}),
    ...(await diffFor(outcome, results, context)),
    ...(closure ? { closure } : {}),
  };
  await deps.state.put('verdict', key, verdict);
  recordGateVerdicts(results);
  await deps.state.appendAudit({
    at: verdict.at,
    stage: 'validate',
    subject: context.source.withDigest(digest).toString(),
    digest,
    outcome,
    correlationId: job.correlationId,
    detail: { gates: results },
  });
  return verdict;
}

/** The promoted digest as the gates' baseline (read lazily: only a gate that compares reads it). */
function baselineOf(job: ValidateJob, tagState: TagState | undefined, deps: ValidateDeps): Pick<GateContext, 'baseline'> {
  const promoted = tagState?.promoted?.sourceDigest;
  if (!promoted || promoted === job.digest) return {};
  return { baseline: { digest: promoted, source: job.image.source.withTag(job.tag).withDigest(promoted), inspector: deps.inspect({ ...job, digest: promoted }) } };
}

/**
 * What changed since the promoted digest (pipeline/diff.ts), kept on verdicts a person looks at
 * (held by the approval gate, even with nothing promoted) and on approved ones replacing a
 * promoted digest (the rebuild event carries its brief). A diff that cannot be read is left
 * out: it informs a decision, it never makes one.
 */
async function diffFor(outcome: Verdict['outcome'], results: GateResult[], context: GateContext): Promise<Pick<Verdict, 'diff'>> {
  const forPerson = outcome === 'pending' && results.some((r) => r.gate === 'approval' && r.outcome === 'pending');
  if (!forPerson && !(outcome === 'approved' && context.baseline)) return {};
  try {
    return { diff: await diffDigests({ from: context.baseline, to: { digest: context.digest, inspector: context.inspector } }) };
  } catch {
    return {};
  }
}

/** Runs one gate; an error becomes `pending` with its reason. */
async function runGate(gate: Gate, context: GateContext): Promise<GateResult> {
  try {
    const result = await gate.evaluate(context);
    return { ...result, gate: gate.name };
  } catch (err) {
    if (isCacheUnavailable(err)) throw err;
    return { gate: gate.name, outcome: 'pending', reasons: [`gate errored, will retry: ${describeError(err)}`] };
  }
}

/** What a verdict keeps of the judged closure: its manifests and referrers by digest, sorted, and its size. */
export function judgedClosure(closure: PromotionClosure): JudgedClosure {
  return { manifests: [...new Set(closure.entries.map((e) => e.digest))].sort(), referrers: [...new Set(closure.referrers)].sort(), totalSize: closure.totalSize };
}

/** One line per gate that did not pass, failures first: why an image is held. */
export function heldBecause(verdict: Verdict): string {
  const rank = (g: GateResult): number => (g.outcome === 'fail' ? 0 : 1);
  return verdict.gates
    .filter((g) => g.outcome !== 'pass')
    .sort((a, b) => rank(a) - rank(b))
    .map((g) => `${g.gate}: ${g.reasons.join('; ') || g.outcome}`)
    .join(' | ');
}
