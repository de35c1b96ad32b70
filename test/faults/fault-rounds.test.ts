/**
 * The fault-injection rounds (issue #9): real basegate (the CLI composition in process, and
 * the real CLI as a child process that gets SIGKILLed mid-promotion) against real registries
 * behind fault proxies, with real webhook deliveries. Each round promotes 1–3 small images
 * under a seeded schedule of faults, re-runs sync until it settles (or a bound), and then
 * checks every invariant in round-check.ts. The table at the end sums all rounds.
 *
 *   npm run test:faults       200 rounds (BASEGATE_FAULT_ROUNDS), two at a time (BASEGATE_FAULT_CONCURRENCY)
 *   npm test                  20 rounds, part of the normal run
 *   BASEGATE_FAULT_SEED=<base> BASEGATE_FAULT_ONLY=<round>[,<round>] npx jest test/faults
 *                             replays rounds exactly (every failure prints both numbers)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FAULT_KINDS, roundSeed } from './fault-plan';
import { describePlan, runFaultRound, type RoundContext } from './fault-round';
import { addRound, emptyTotals, formatTable } from './fault-table';
import { startFaultWorld } from './fault-world';

const ROUNDS = Number(process.env.BASEGATE_FAULT_ROUNDS ?? 20);
const CONCURRENCY = Number(process.env.BASEGATE_FAULT_CONCURRENCY ?? 2);
const BASE_SEED = process.env.BASEGATE_FAULT_SEED !== undefined ? Number(process.env.BASEGATE_FAULT_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const ONLY = process.env.BASEGATE_FAULT_ONLY?.split(',').map(Number);

const rounds = ONLY ?? Array.from({ length: ROUNDS }, (_, i) => i);
const batches = Array.from({ length: Math.ceil(rounds.length / CONCURRENCY) }, (_, b) => rounds.slice(b * CONCURRENCY, (b + 1) * CONCURRENCY)).map((list) => ({
  label: list.join(', '),
  list,
}));
const totals = emptyTotals(BASE_SEED, CONCURRENCY);
let ctx: RoundContext;

jest.setTimeout(180_000);

beforeAll(async () => {
  ctx = { world: await startFaultWorld(), verified: new Map(), queued: { count: 0 } };
});

afterAll(async () => {
  const table = formatTable(totals);
  fs.writeFileSync(path.join(os.tmpdir(), 'basegate-fault-table.txt'), `${table}\n`);
  console.log(table);
  await ctx?.world.close();
});

describe(`fault rounds (base seed ${BASE_SEED})`, () => {
  it.each(batches)('rounds $label', async ({ list }) => {
    // No round is in flight between batches: the proxies' logs start empty for each.
    ctx.world.sourceProxy.clearLog();
    ctx.world.targetProxy.clearLog();
    const results = await Promise.all(list.map((round) => runFaultRound(ctx, round, roundSeed(BASE_SEED, round))));
    const failures: string[] = [];
    for (const r of results) {
      addRound(totals, r.tally, r.fired);
      totals.syncs += r.syncs;
      totals.childRuns += r.childRuns;
      totals.secretLeaks += r.secretLeaks;
      if (r.tally.violations.length === 0) {
        fs.rmSync(r.setup.dir, { recursive: true, force: true });
        continue;
      }
      totals.failedRounds.push(r.plan.round);
      failures.push(
        `round ${r.plan.round} (seed ${r.plan.seed}) failed; replay: BASEGATE_FAULT_SEED=${BASE_SEED} BASEGATE_FAULT_ONLY=${r.plan.round} npx jest test/faults`,
        `  plan: ${describePlan(r.plan)}`,
        `  files: ${r.setup.dir}`,
        ...r.tally.violations.map((v) => `  ${v}`),
      );
    }
    if (failures.length > 0) throw new Error(failures.join('\n'));
  });

  it('sums up: no corruption, no partial tag, no duplicate or missing rebuild, every fault kind injected', () => {
    expect(totals.tally).toMatchObject({ corruptionsAccepted: 0, partialTags: 0, duplicateRebuilds: 0, missingRebuilds: 0, stateAuditMismatches: 0, silentlySkipped: 0 });
    expect(totals.secretLeaks).toBe(0);
    expect(totals.failedRounds).toEqual([]);
    if (!ONLY && ROUNDS >= FAULT_KINDS.length) expect(FAULT_KINDS.filter((k) => !totals.faults.get(k))).toEqual([]);
  });
});
