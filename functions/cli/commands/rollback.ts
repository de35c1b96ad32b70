/**
 * `basegate rollback --config FILE IMAGE:TAG --to DIGEST|IMMUTABLE_TAG`: points the moving tag in
 * the target back at an earlier promotion (still addressable by its immutable tag). The digest
 * rolled back from is not promoted again until upstream moves on or `sync --force`.
 */
import type { TagState } from '../../pipeline/records';
import { tagKey } from '../../pipeline/records';
import { updateRecord } from '../../pipeline/update-record';
import { parseCommand, requireConfig, UsageError } from '../args';
import { composeCli } from '../compose';
import { EXIT } from '../exit-codes';
import { findImages } from '../find-image';
import { shortDigest, type Output } from '../output';
import { ROLLBACK_USAGE } from '../usage';

export async function runRollback(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommand('rollback', argv, { to: { type: 'string' } }, 1);
  if (positionals.length !== 1 || !values.to) throw new UsageError(`rollback: expected IMAGE:TAG and --to (${ROLLBACK_USAGE})`);
  const runtime = await composeCli({ configFile: requireConfig('rollback', values), stateFile: values.state });
  try {
    const { ref, matches } = findImages(runtime.images, positionals[0], 'rollback');
    const tag = ref.tag!;
    const results = [];
    for (const image of matches) {
      const key = tagKey(image.id, tag);
      const state = (await runtime.state.get<TagState>('tag', key))?.value;
      const to = values.to;
      const entry = state?.history?.find((h) => h.sourceDigest === to || h.targetDigest === to || h.immutableTag === to);
      if (!state?.promoted || !entry) {
        const known = (state?.history ?? []).map((h) => `${h.immutableTag} (${shortDigest(h.sourceDigest)})`).join(', ') || 'none';
        throw new UsageError(`rollback: ${image.source.withTag(tag)} was never promoted as ${to}; earlier promotions: ${known}`);
      }
      const targetRef = image.target.withDigest(entry.targetDigest);
      const manifest = await runtime.target.manifestGet(targetRef);
      await runtime.target.manifestPut(image.target.withTag(tag), { mediaType: manifest.mediaType, bytes: manifest.bytes });
      const now = runtime.deps.clock.now().toISOString();
      const from = state.promoted;
      await updateRecord<TagState>(runtime.state, 'tag', key, (current) => current && { ...current, promoted: { ...entry, at: now, rollback: true }, rolledBackFrom: from.sourceDigest, status: 'promoted', reason: `rolled back from ${from.immutableTag}` });
      await runtime.state.appendAudit({ at: now, stage: 'rollback', subject: image.source.withTag(tag).toString(), digest: entry.sourceDigest, outcome: 'rolled-back', detail: { from: from.immutableTag, to: entry.immutableTag, target: targetRef.toString() } });
      results.push({ image: image.id, tag, from: from.immutableTag, to: entry.immutableTag, targetDigest: entry.targetDigest });
    }
    if (values.json) out.json({ rollbacks: results });
    else for (const r of results) out.result(`${r.image}:${r.tag} now points at ${r.to} (${shortDigest(r.targetDigest)}), was ${r.from}`);
    return EXIT.OK;
  } finally {
    await runtime.close();
  }
}
