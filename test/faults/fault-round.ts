/**
 * One fault round from plan to verdict: set up its images and config, add its proxy rules
 * (scoped to its own repositories, so rounds can run side by side), run the first sync (in a
 * child process that gets killed, for the kill fault), re-run sync until it settles or the
 * bound, run one quiet sync that must change nothing, then check every invariant.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SyncReport } from '../../functions/pipeline/sync';
import { rawGetManifest } from '../helpers/raw-registry';
import { planRound, type RoundPlan } from './fault-plan';
import { firedFaults, rulesFor } from './fault-rules';
import { ChildSlot, syncInProcess } from './fault-sync';
import { moveTag, setUpRound, topUpReceiver, type FaultWorld, type RoundSetup } from './fault-world';
import { checkRound, deliveriesByKey, type RoundTally } from './round-check';
import type { VerifiedFiles } from './target-check';

/** Syncs after the first before a round must have settled: each transient fault costs at most one. */
const MAX_RUNS = 6;

export interface RoundResult {
  plan: RoundPlan;
  setup: RoundSetup;
  tally: RoundTally;
  fired: Map<string, number>;
  syncs: number;
  childRuns: number;
  secretLeaks: number;
}

/** Shared across the rounds of a run. */
export interface RoundContext {
  world: FaultWorld;
  verified: VerifiedFiles;
  queued: { count: number };
}

export async function runFaultRound(ctx: RoundContext, round: number, seed: number): Promise<RoundResult> {
  const { world } = ctx;
  const plan = planRound(round, seed);
  const setup = await setUpRound(world, plan);
  const mine = (e: { path: string }) => setup.sourceRepos.some((r) => e.path.startsWith(`/v2/${r}/`)) || setup.targetRepos.some((r) => e.path.startsWith(`/v2/${r}/`));
  const child = new ChildSlot();
  topUpReceiver(world, ctx.queued);
  const rules = rulesFor(setup, { moveTag: (n) => moveTag(world, setup, n), kill: () => child.kill() });
  // The kill acts only while the child runs: a kill rule left for the in-process re-runs would only hang up.
  const kill = (r: { name?: string }) => r.name === 'kill mid-promotion';
  const killRules = [world.sourceProxy.addRules(rules.source.filter(kill)), world.targetProxy.addRules(rules.target.filter(kill))];
  const removers = [world.sourceProxy.addRules(rules.source.filter((r) => !kill(r))), world.targetProxy.addRules(rules.target.filter((r) => !kill(r))), ...killRules];
  const counts = { syncs: 0, childRuns: 0 };
  let run: { outputs: string[]; final: SyncReport; problems: string[] };
  try {
    run = await syncUntilSettled(world, setup, child, counts, () => killRules.forEach((remove) => remove()));
  } finally {
    for (const remove of removers) remove();
  }
  const sourceLog = world.sourceProxy.log.filter(mine);
  const persistent = persistentActedOn(world, setup);
  const tally = await checkRound(world, setup, run.final, roundDeliveries(world, setup), persistent, ctx.verified);
  tally.violations.push(...run.problems);
  const leaks = secretLeaks(world, [...run.outputs, ...stateFiles(setup)]);
  tally.violations.push(...leaks);
  return { plan, setup, tally, fired: firedFaults(sourceLog, world.targetProxy.log.filter(mine)), ...counts, secretLeaks: leaks.length };
}

/** The round's deliveries: its dependents' names are its own. */
function roundDeliveries(world: FaultWorld, setup: RoundSetup): Map<string, number> {
  const names = new Set(setup.dependents.flat());
  return new Map([...deliveriesByKey(world, 0)].filter(([key]) => names.has(key.split('|')[1])));
}

function deliveryCount(world: FaultWorld, setup: RoundSetup): number {
  return [...roundDeliveries(world, setup).values()].reduce((a, b) => a + b, 0);
}

async function syncUntilSettled(world: FaultWorld, setup: RoundSetup, child: ChildSlot, counts: { syncs: number; childRuns: number }, childDone: () => void) {
  const outputs: string[] = [];
  const problems: string[] = [];
  if (setup.plan.childRun) {
    const run = await child.run(world, setup);
    childDone();
    outputs.push(run.stdout, run.stderr);
    counts.syncs++;
    counts.childRuns++;
    if (run.signal !== 'SIGKILL' && run.code !== 0 && run.code !== 1) problems.push(`the child sync exited ${run.code} ${run.signal}: ${run.stderr.slice(-500)}`);
  }
  let last: SyncReport | undefined;
  for (let n = 0; n < MAX_RUNS; n++) {
    const { report, output } = await syncInProcess(world, setup);
    outputs.push(output);
    counts.syncs++;
    last = report;
    if (await settled(world, setup, report)) break;
  }
  const before = deliveryCount(world, setup);
  const quiet = await syncInProcess(world, setup);
  outputs.push(quiet.output);
  counts.syncs++;
  const sent = deliveryCount(world, setup) - before;
  if (sent !== 0) problems.push(`the quiet re-run sent ${sent} deliveries`);
  for (const t of quiet.report.tags) {
    if (t.status === 'promoted' || (t.bytesUploaded ?? 0) > 0) {
      problems.push(`the quiet re-run changed ${t.source}: ${t.status}, ${t.bytesUploaded ?? 0} bytes uploaded (the run before ended ${last?.tags.find((x) => x.source === t.source)?.status})`);
    }
  }
  return { outputs, final: quiet.report, problems };
}

/** True when every image is promoted at its current upstream digest with all rebuilds sent, or failed under a persistent fault that has acted. */
async function settled(world: FaultWorld, setup: RoundSetup, report: SyncReport): Promise<boolean> {
  // The same rule as checkRound's: a persistent fault counts once it has acted (a lying digest
  // may fail an image before its persistent fault is ever reached, and then the image must recover).
  const persistent = persistentActedOn(world, setup);
  for (const image of setup.plan.images) {
    const t = report.tags.find((r) => r.source === setup.subjects[image.index]);
    if (!t) return false;
    if (persistent.has(image.index) && t.status === 'failed') continue;
    if (t.status !== 'promoted' && t.status !== 'unchanged') return false;
    if (t.rebuilds?.some((r) => r.status !== 'sent')) return false;
    const upstream = await rawGetManifest(world.upstream, setup.sourceRepos[image.index], setup.tag);
    if (t.digest !== upstream?.digest) return false;
  }
  return true;
}

/** The images of this round that a persistent fault has acted on so far (from the source proxy's log). */
function persistentActedOn(world: FaultWorld, setup: RoundSetup): Set<number> {
  const acted = (i: number) => world.sourceProxy.log.some((e) => e.rule === 'persistent failure' && e.path.startsWith(`/v2/${setup.sourceRepos[i]}/`));
  return new Set(setup.plan.images.map((i) => i.index).filter(acted));
}

/** The state file and the audit log, as text. */
function stateFiles(setup: RoundSetup): string[] {
  return [setup.stateFile, path.join(path.dirname(setup.stateFile), 'audit.jsonl')].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8'));
}

/** Every planted secret (and the Basic credentials built from them) found in any output. */
function secretLeaks(world: FaultWorld, texts: string[]): string[] {
  const s = world.secrets;
  const planted = [s.registryPassword, s.hookSecret, s.hookToken, Buffer.from(`${s.registryUser}:${s.registryPassword}`).toString('base64')];
  return planted.flatMap((secret) => (texts.some((t) => t.includes(secret)) ? [`secret leak: ${secret.slice(0, 14)}… appears in an output`] : []));
}

/** One line a person can read: the images and the faults of a plan. */
export function describePlan(plan: RoundPlan): string {
  const images = plan.images.map((i) => `${i.platforms.length}p/${i.layers}l/${i.format}/${i.dependents}d`).join(' ');
  const faults = plan.faults.map((f) => `${f.kind}@${f.on}#${f.nth}x${f.times}(${f.param}) img${f.image}`).join(', ');
  return `${plan.target} target; images [${images}]${plan.sharedBase ? ' shared base' : ''}; faults ${faults}${plan.childRun ? '; first run in a child' : ''}`;
}
