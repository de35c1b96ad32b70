/**
 * The invariants checked after every settled round, each counted for the closing table:
 * - every image ends promoted with the digest its upstream tag has now, or reported failed
 *   with a reason (only when a persistent fault made it fail); nothing silently skipped;
 * - the target holds no corrupt blob and no tag on an incomplete image (target-check.ts);
 * - every dependent got exactly one delivery per promoted digest, none for anything else;
 * - state, audit and the target agree: promoted digests = target tags, one audit record per
 *   promotion and per delivery.
 */
import type { TagState, RebuildRecord } from '../../functions/pipeline/records';
import type { AuditRecord } from '../../functions/pipeline/ports';
import type { SyncReport } from '../../functions/pipeline/sync';
import { FileStateStore } from '../../functions/state/file-state-store';
import { rawGetManifest } from '../helpers/raw-registry';
import type { FaultWorld, RoundSetup } from './fault-world';
import { corruptLayoutBlobs, walkLayoutRepository } from './layout-check';
import { corruptStoredBlobs, walkRepository, type VerifiedFiles } from './target-check';

export interface RoundTally {
  promoted: number;
  failuresReported: number;
  corruptionsAccepted: number;
  partialTags: number;
  duplicateRebuilds: number;
  missingRebuilds: number;
  stateAuditMismatches: number;
  silentlySkipped: number;
  violations: string[];
}

/** Deliveries the receiver accepted, by `digest|dependent`. */
export function deliveriesByKey(world: FaultWorld, from: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of world.receiver.deliveries.slice(from)) {
    const dependent = d.request.path.replace(/^\/hooks\//, '');
    const key = `${(d.json as { digest?: string }).digest}|${dependent}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Checks one round after it settled; `persistent` lists images a persistent fault acted on. */
export async function checkRound(
  world: FaultWorld,
  setup: RoundSetup,
  final: SyncReport,
  deliveries: Map<string, number>,
  persistent: Set<number>,
  verified: VerifiedFiles,
): Promise<RoundTally> {
  const t: RoundTally = { promoted: 0, failuresReported: 0, corruptionsAccepted: 0, partialTags: 0, duplicateRebuilds: 0, missingRebuilds: 0, stateAuditMismatches: 0, silentlySkipped: 0, violations: [] };
  const fail = (counter: keyof Omit<RoundTally, 'violations'>, message: string) => {
    t[counter]++;
    t.violations.push(`${counter}: ${message}`);
  };

  const layout = setup.plan.target === 'layout';
  const corrupt = layout ? corruptLayoutBlobs(setup.layoutDir, verified) : corruptStoredBlobs(world.target.dir, verified);
  for (const c of corrupt) fail('corruptionsAccepted', c);

  const store = await FileStateStore.open(setup.stateFile, { readOnly: true });
  const [tagStates, rebuilds, audit] = await Promise.all([store.list<TagState>('tag'), store.list<RebuildRecord>('rebuild'), store.listAudit()]);
  await store.close();
  const expectedDeliveries = new Set<string>();

  for (const image of setup.plan.images) {
    const n = image.index;
    const name = `image ${n} (${setup.subjects[n]})`;
    const report = final.tags.find((r) => r.source === setup.subjects[n]);
    const state = tagStates.find((s) => s.value.source === setup.subjects[n])?.value;
    const upstream = (await rawGetManifest(world.upstream, setup.sourceRepos[n], setup.tag))!.digest;
    const { tags, partial } = layout ? walkLayoutRepository(setup.layoutDir, setup.targetRepos[n]) : await walkRepository(world.targetRaw, setup.targetRepos[n]);
    for (const p of partial) fail('partialTags', p);
    const promotes = audit.filter((a) => a.stage === 'promote' && a.subject === setup.subjects[n]);

    if (!report) {
      fail('silentlySkipped', `${name} is missing from the sync report`);
      continue;
    }
    if (persistent.has(n)) {
      // Failed in promote, or held pending in validate (the closure gate reads every manifest first): never promoted, always with the reason.
      const held = (status: string | undefined) => status === 'failed' || status === 'pending';
      if (held(report.status) && report.reason) t.failuresReported++;
      else fail('silentlySkipped', `${name} under a persistent fault ended ${report.status} without a failure reason`);
      if (!held(state?.status) || !state?.reason) fail('stateAuditMismatches', `${name}: state says ${state?.status} (${state?.reason}), expected failed or pending with its reason`);
      if (tags.length > 0) fail('partialTags', `${name} failed, yet the target has tags ${tags.map((x) => x.tag).join(', ')}`);
      if (state?.promoted || promotes.length > 0) fail('stateAuditMismatches', `${name} failed, yet state or audit record a promotion`);
      continue;
    }
    if ((report.status !== 'promoted' && report.status !== 'unchanged') || report.digest !== upstream || report.targetDigest !== upstream) {
      fail('silentlySkipped', `${name} ended ${report.status} with ${report.digest} → ${report.targetDigest} (${report.reason ?? 'no reason'}), upstream is ${upstream}`);
      continue;
    }
    t.promoted++;
    checkAgreement(fail, name, setup.tag, state, tags, promotes, upstream);
    for (const h of state?.history ?? []) for (const dep of setup.dependents[n]) expectedDeliveries.add(`${h.targetDigest}|${dep}`);
  }

  checkRebuilds(fail, setup, deliveries, expectedDeliveries, rebuilds.map((r) => r.value), audit);
  return t;
}

type Fail = (counter: keyof Omit<RoundTally, 'violations'>, message: string) => void;

/** State, audit and target tags of one promoted image agree. */
function checkAgreement(fail: Fail, name: string, movingTag: string, state: TagState | undefined, tags: Array<{ tag: string; digest: string }>, promotes: AuditRecord[], upstream: string): void {
  if (!state?.promoted || state.status !== 'promoted' || state.promoted.targetDigest !== upstream) {
    fail('stateAuditMismatches', `${name}: state says ${state?.status} ${state?.promoted?.targetDigest}, target and upstream have ${upstream}`);
    return;
  }
  const moving = tags.find((x) => x.tag === movingTag);
  if (moving?.digest !== state.promoted.targetDigest) fail('stateAuditMismatches', `${name}: target tag ${movingTag} → ${moving?.digest}, state says ${state.promoted.targetDigest}`);
  const expected = new Map([[movingTag, state.promoted.targetDigest], ...(state.history ?? []).map((h) => [h.immutableTag, h.targetDigest] as [string, string])]);
  const actual = new Map(tags.map((x) => [x.tag, x.digest]));
  for (const [tag, digest] of expected) if (actual.get(tag) !== digest) fail('stateAuditMismatches', `${name}: state expects ${tag} → ${digest}, target has ${actual.get(tag)}`);
  for (const [tag] of actual) if (!expected.has(tag)) fail('stateAuditMismatches', `${name}: target tag ${tag} is unknown to the state`);
  const audited = promotes.map((a) => a.digest).sort();
  const promoted = (state.history ?? []).map((h) => h.sourceDigest).sort();
  if (JSON.stringify(audited) !== JSON.stringify(promoted)) fail('stateAuditMismatches', `${name}: audit records promotions of [${audited.join(', ')}], state of [${promoted.join(', ')}]`);
}

/** Exactly one accepted delivery, one `sent` record and one audit record per (promoted digest, dependent); nothing else. */
function checkRebuilds(fail: Fail, setup: RoundSetup, deliveries: Map<string, number>, expected: Set<string>, records: RebuildRecord[], audit: AuditRecord[]): void {
  for (const key of expected) {
    const got = deliveries.get(key) ?? 0;
    if (got === 0) fail('missingRebuilds', `no delivery for ${key}`);
    if (got > 1) fail('duplicateRebuilds', `${got} deliveries for ${key}`);
    const record = records.find((r) => `${r.targetDigest}|${r.dependent}` === key);
    if (record?.status !== 'sent') fail('stateAuditMismatches', `rebuild ${key} is ${record?.status ?? 'unrecorded'} in state, delivered ${got} time(s)`);
    const audited = audit.filter((a) => a.stage === 'rebuild' && a.outcome === 'triggered' && `${a.digest}|${(a.detail as { dependent?: string }).dependent}` === key).length;
    if (audited !== 1) fail('stateAuditMismatches', `rebuild ${key} has ${audited} audit records`);
  }
  for (const [key, got] of deliveries) if (!expected.has(key)) fail('duplicateRebuilds', `${got} unexpected deliveries for ${key} (not a promoted digest of round seed ${setup.plan.seed})`);
}
