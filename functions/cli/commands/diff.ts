/**
 * `basegate diff --config FILE IMAGE:TAG [--from DIGEST] [--to DIGEST] [--json]`: what changed
 * between two digests of a tracked tag (pipeline/diff.ts). By default from the digest promoted
 * under the tag to the one seen upstream (pending); with nothing promoted every platform is new.
 * A digest is read from the upstream repository, or, when upstream no longer has it, from the
 * target (where a promoted digest lives on). Writes nothing.
 */
import { createImageInspector } from '../../gates/image-inspector';
import type { ImageRef } from '../../oci/reference';
import { isDigest } from '../../oci/reference';
import { diffDigests } from '../../pipeline/diff';
import { digestKey, tagKey, type TagState, type Verdict } from '../../pipeline/records';
import { vulnerabilitySummaryOf } from '../../pipeline/vulnerability-summary';
import { parseCommand, requireConfig, UsageError } from '../args';
import { composeCli, type CliRuntime } from '../compose';
import { EXIT } from '../exit-codes';
import { findImages } from '../find-image';
import { formatDiff } from '../format-diff';
import type { Output } from '../output';
import { DIFF_USAGE } from '../usage';

export async function runDiff(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommand('diff', argv, { from: { type: 'string' }, to: { type: 'string' } }, 1);
  if (positionals.length !== 1) throw new UsageError(`diff: expected one IMAGE:TAG (${DIFF_USAGE})`);
  for (const flag of ['from', 'to'] as const) {
    const value = values[flag];
    if (value !== undefined && !isDigest(value)) throw new UsageError(`diff: --${flag} expects a digest sha256:<64 hex>, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  const runtime = await composeCli({ configFile: requireConfig('diff', values), stateFile: values.state, readOnly: true });
  try {
    const { ref, matches } = findImages(runtime.images, positionals[0], 'diff');
    if (ref.digest) throw new UsageError('diff: name the tag (IMAGE:TAG) and pick digests with --from and --to');
    const image = matches[0];
    const tag = ref.tag!;
    const state = (await runtime.state.get<TagState>('tag', tagKey(image.id, tag)))?.value;
    const from = values.from ?? state?.promoted?.sourceDigest;
    const to = values.to ?? (await pendingDigest(runtime, image.source.withTag(tag), state));
    const verdict = (await runtime.state.get<Verdict>('verdict', digestKey(image.id, to)))?.value;
    const diff = await diffDigests({
      from: from ? { digest: from, inspector: await inspectorFor(runtime, image.source, image.target, from, state) } : undefined,
      to: { digest: to, inspector: await inspectorFor(runtime, image.source, image.target, to, state) },
      vulnerabilities: vulnerabilitySummaryOf(verdict),
    });
    const view = { image: image.source.withTag(tag).toString(), ...diff };
    if (values.json) out.json(view);
    else out.result(formatDiff(view));
    return EXIT.OK;
  } finally {
    await runtime.close();
  }
}

/** The digest seen under the tag, or the tag's digest upstream now when basegate saw none. */
async function pendingDigest(runtime: CliRuntime, source: ImageRef, state: TagState | undefined): Promise<string> {
  if (state?.seenDigest) return state.seenDigest;
  const head = await runtime.source.manifestHead(source);
  if (!head) throw new UsageError(`diff: ${source} has no digest upstream and none was seen; pass --to DIGEST`);
  return head.digest;
}

/** An inspector of `digest` upstream, or in the target when only the target still has it (the promoted one). */
async function inspectorFor(runtime: CliRuntime, source: ImageRef, target: ImageRef, digest: string, state: TagState | undefined) {
  const upstream = source.withDigest(digest);
  if (await runtime.source.manifestHead(upstream)) return createImageInspector(runtime.source, upstream);
  const promoted = [state?.promoted, ...(state?.history ?? [])].find((p) => p?.sourceDigest === digest || p?.targetDigest === digest);
  const inTarget = target.withDigest(promoted?.targetDigest ?? digest);
  if (await runtime.target.manifestHead(inTarget)) return createImageInspector(runtime.target, inTarget);
  throw new UsageError(`diff: ${digest} is neither in ${source.name} nor in ${target.name}`);
}
