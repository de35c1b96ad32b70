/** The totals of a fault run and the table printed at its end. */
import { FAULT_KINDS } from './fault-plan';
import type { RoundTally } from './round-check';

export interface FaultTotals {
  rounds: number;
  baseSeed: number;
  /** Rounds run side by side. */
  concurrency: number;
  faults: Map<string, number>;
  syncs: number;
  childRuns: number;
  secretLeaks: number;
  tally: Omit<RoundTally, 'violations'>;
  failedRounds: number[];
  startedAt: number;
}

export function emptyTotals(baseSeed: number, concurrency: number): FaultTotals {
  return {
    rounds: 0,
    baseSeed,
    concurrency,
    faults: new Map(),
    syncs: 0,
    childRuns: 0,
    secretLeaks: 0,
    tally: { promoted: 0, failuresReported: 0, corruptionsAccepted: 0, partialTags: 0, duplicateRebuilds: 0, missingRebuilds: 0, stateAuditMismatches: 0, silentlySkipped: 0 },
    failedRounds: [],
    startedAt: Date.now(),
  };
}

/** Adds one round's figures. */
export function addRound(totals: FaultTotals, round: RoundTally, fired: Map<string, number>): void {
  totals.rounds++;
  for (const [kind, n] of fired) totals.faults.set(kind, (totals.faults.get(kind) ?? 0) + n);
  for (const key of Object.keys(totals.tally) as Array<keyof FaultTotals['tally']>) totals.tally[key] += round[key];
}

/** The closing table. */
export function formatTable(totals: FaultTotals): string {
  const rows: Array<[string, string | number]> = [
    ['rounds', `${totals.rounds} (${totals.concurrency} at a time)`],
    ['base seed (BASEGATE_FAULT_SEED)', `${totals.baseSeed}`],
    ['syncs run (child processes)', `${totals.syncs} (${totals.childRuns})`],
    ['faults injected (requests hit), by kind:', ''],
    ...FAULT_KINDS.map((k): [string, number] => [`  ${k}`, totals.faults.get(k) ?? 0]),
    ['faults injected, all kinds', [...totals.faults.values()].reduce((a, b) => a + b, 0)],
    ['images promoted', totals.tally.promoted],
    ['failures reported (with reason)', totals.tally.failuresReported],
    ['silently skipped', totals.tally.silentlySkipped],
    ['corruptions accepted', totals.tally.corruptionsAccepted],
    ['partial tags', totals.tally.partialTags],
    ['duplicate rebuilds', totals.tally.duplicateRebuilds],
    ['missing rebuilds', totals.tally.missingRebuilds],
    ['state/audit/target mismatches', totals.tally.stateAuditMismatches],
    ['planted secrets found in outputs', totals.secretLeaks],
    ['failed rounds', totals.failedRounds.length ? totals.failedRounds.join(', ') : 'none'],
    ['runtime', `${((Date.now() - totals.startedAt) / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = '-'.repeat(width + 12);
  return ['basegate fault rounds', line, ...rows.map(([k, v]) => `${k.padEnd(width)}  ${String(v).padStart(8)}`), line].join('\n');
}
