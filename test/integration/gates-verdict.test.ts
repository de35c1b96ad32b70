/**
 * The cooldown and approval gates, and the validate stage's fail-closed rules over real gates,
 * a real registry and an injected clock: a pending verdict is re-evaluated and can become
 * approved; a decided one is not re-evaluated on the next call unless the gates' fingerprint
 * changes or it is forced (observed through a real command gate that counts its own runs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { approvalGate } from '../../functions/gates/approval';
import { commandGate } from '../../functions/gates/command';
import { cooldownGate } from '../../functions/gates/cooldown';
import { maxSizeGate } from '../../functions/gates/max-size';
import { platformsGate } from '../../functions/gates/platforms';
import { heldBecause } from '../../functions/pipeline/validate';
import { gateHarness, gateResult, recordApproval, recordFirstSeen, seed, tracked, validate, validateAudit, type GateHarness } from '../helpers/gate-fixture';

const HOUR = 3_600_000;
const T0 = new Date('2026-02-01T00:00:00Z');

let h: GateHarness;
let dir: string;
beforeAll(async () => {
  h = await gateHarness(T0);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gates-verdict-'));
});
afterAll(async () => {
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('cooldown gate', () => {
  it('is pending until the cooldown has passed since first seen, then approves on re-evaluation', async () => {
    h.clock.set(T0);
    const s = await seed(h, { seed: 'cooldown' });
    const image = tracked(s);
    await recordFirstSeen(h, image, s, T0);
    const gates = [cooldownGate({ cooldown: 24 * HOUR })];
    h.clock.advance(HOUR);
    const early = await validate(h, image, s, gates);
    expect(early.outcome).toBe('pending');
    expect(gateResult(early, 'cooldown').reasons).toEqual(['cooling down for 1d: first seen 2026-02-01T00:00:00.000Z, passes at 2026-02-02T00:00:00.000Z (in 23h)']);
    expect(early.nextAttemptAt).toBe('2026-02-01T01:01:00.000Z');

    h.clock.advance(23 * HOUR - 1);
    expect((await validate(h, image, s, gates)).outcome).toBe('pending');
    h.clock.advance(1);
    const later = await validate(h, image, s, gates);
    expect(later.outcome).toBe('approved');
    expect(gateResult(later, 'cooldown').detail).toMatchObject({ firstSeen: '2026-02-01T00:00:00.000Z', passesAt: '2026-02-02T00:00:00.000Z' });
    expect((await validateAudit(h, s)).map((a) => a.outcome)).toEqual(['pending', 'pending', 'approved']);
  });

  it('is pending without a first-seen record, whatever the clock says', async () => {
    const s = await seed(h, { seed: 'cooldown-none' });
    h.clock.set(new Date('2030-01-01T00:00:00Z'));
    const verdict = await validate(h, tracked(s), s, [cooldownGate({ cooldown: HOUR })]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'cooldown').reasons[0]).toMatch(/^no first-seen record/);
  });
});

describe('approval gate', () => {
  it('waits for a person, then approves once approved', async () => {
    h.clock.set(T0);
    const s = await seed(h, { seed: 'approval-yes' });
    const image = tracked(s);
    const waiting = await validate(h, image, s, [approvalGate()]);
    expect(waiting.outcome).toBe('pending');
    expect(heldBecause(waiting)).toBe(`approval: waiting for a person: basegate approve (or reject) ${s.source.withTag(s.tag).withDigest(s.digest)}`);
    await recordApproval(h, image, s, { decision: 'approved', by: 'alice', at: '2026-02-01T09:00:00Z' });
    const approved = await validate(h, image, s, [approvalGate()]);
    expect(approved.outcome).toBe('approved');
    expect(gateResult(approved, 'approval').detail).toMatchObject({ decision: 'approved', by: 'alice' });
  });

  it('rejects with the reason and who rejected', async () => {
    const s = await seed(h, { seed: 'approval-no' });
    const image = tracked(s);
    await recordApproval(h, image, s, { decision: 'rejected', by: 'bob', reason: 'CVE-2026-0001 unpatched', at: '2026-02-01T10:00:00Z' });
    const verdict = await validate(h, image, s, [approvalGate()]);
    expect(verdict.outcome).toBe('rejected');
    expect(gateResult(verdict, 'approval').reasons).toEqual(['rejected by bob at 2026-02-01T10:00:00Z: CVE-2026-0001 unpatched']);
  });

  it('stays pending on an approval record it cannot read', async () => {
    const s = await seed(h, { seed: 'approval-garbled' });
    const image = tracked(s);
    await recordApproval(h, image, s, { decision: 'maybe' as never, at: '2026-02-01T10:00:00Z' });
    expect((await validate(h, image, s, [approvalGate()])).outcome).toBe('pending');
  });
});

describe('the verdict over several gates', () => {
  /** A real command gate that appends a line to `file` on each run and exits `code`. */
  const counting = (file: string, code: number) => commandGate({ run: ['/bin/sh', '-c', `echo run >> "$1"; exit ${code}`, 'sh', file] });
  const runs = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

  it('is rejected with every failing gate\'s reasons when one gate fails and the others pass', async () => {
    const s = await seed(h, { seed: 'verdict-reject', platforms: ['linux/amd64'] });
    const verdict = await validate(h, tracked(s), s, [platformsGate({ platforms: ['linux/amd64'] }), maxSizeGate({ maxSize: 100 }), approvalGate()]);
    expect(verdict.outcome).toBe('rejected');
    expect(verdict.gates.map((g) => [g.gate, g.outcome])).toEqual([['platforms', 'pass'], ['maxSize', 'fail'], ['approval', 'pending']]);
    expect(heldBecause(verdict)).toMatch(/^maxSize: linux\/amd64: .* over the 100B limit \| approval: waiting for a person/);
  });

  it('is pending, never approved, when a gate errors and all others pass', async () => {
    const s = await seed(h, { seed: 'verdict-error' });
    const broken = commandGate({ run: [path.join(dir, 'no-such-scanner')] });
    const verdict = await validate(h, tracked(s), s, [maxSizeGate({ maxSize: 1e9 }), broken]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'maxSize').outcome).toBe('pass');
    expect(gateResult(verdict, 'command').reasons[0]).toMatch(/could not be started: ENOENT/);
  });

  it('does not re-evaluate a decided verdict unless the fingerprint changes or it is forced', async () => {
    const s = await seed(h, { seed: 'verdict-decided' });
    const file = path.join(dir, 'decided-runs');
    const first = await validate(h, tracked(s, { fingerprint: 'A' }), s, [counting(file, 1)]);
    expect(first.outcome).toBe('rejected');
    expect(runs(file)).toBe(1);

    const again = await validate(h, tracked(s, { fingerprint: 'A' }), s, [counting(file, 0)]);
    expect(again).toEqual(first);
    expect(runs(file)).toBe(1);

    const changed = await validate(h, tracked(s, { fingerprint: 'B' }), s, [counting(file, 0)]);
    expect(changed.outcome).toBe('approved');
    expect(runs(file)).toBe(2);

    const forced = await validate(h, tracked(s, { fingerprint: 'B' }), s, [counting(file, 1)], { force: true });
    expect(forced.outcome).toBe('rejected');
    expect(runs(file)).toBe(3);
    expect((await validateAudit(h, s)).map((a) => a.outcome)).toEqual(['rejected', 'approved', 'rejected']);
  });

  it('re-evaluates a pending verdict on every call', async () => {
    const s = await seed(h, { seed: 'verdict-pending' });
    const file = path.join(dir, 'pending-runs');
    const image = tracked(s);
    const gates = [counting(file, 0), approvalGate()];
    expect((await validate(h, image, s, gates)).attempts).toBe(1);
    const second = await validate(h, image, s, gates);
    expect(second.outcome).toBe('pending');
    expect(second.attempts).toBe(2);
    expect(runs(file)).toBe(2);
  });
});
