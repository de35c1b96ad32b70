/**
 * The ARM client's request budget (functions/azure/arm-request-budget.ts) on a scripted clock:
 * it lets a burst through, then paces each kind at 80% of its refill rate in arrival order, follows
 * what ARM says remains, empties on a 429, and gives a reservation back when a wait is aborted.
 */
import { ArmRequestBudget, armRequestKind } from '../../functions/azure/arm-request-budget';

function clocked(options: ConstructorParameters<typeof ArmRequestBudget>[0]) {
  let now = 0;
  const sleeps: number[] = [];
  const budget = new ArmRequestBudget(
    options,
    () => now,
    // Records the wait; the clock moves only when a test says so.
    async (ms, signal) => {
      sleeps.push(Math.round(ms));
      if (signal?.aborted) throw new Error('aborted');
    },
  );
  return { budget, sleeps, advance: (ms: number) => (now += ms) };
}

describe('ArmRequestBudget', () => {
  it.each([
    ['GET', 'reads'],
    ['HEAD', 'reads'],
    ['POST', 'writes'],
    ['PUT', 'writes'],
    ['PATCH', 'writes'],
    ['DELETE', 'deletes'],
  ])('counts %s as %s (ARM operation types)', (method, kind) => {
    expect(armRequestKind(method)).toBe(kind);
  });

  it('lets the burst through without waiting, then paces at the refill rate, in order', async () => {
    const { budget, sleeps } = clocked({ writes: { burst: 3, perSecond: 2 } });
    for (let i = 0; i < 3; i++) await budget.take('writes');
    expect(sleeps).toEqual([]);
    // Three more at once: each reserves the next token, refilled at 80% of 2/s: 0.625 s, 1.25 s, 1.875 s.
    const waits = [budget.take('writes'), budget.take('writes'), budget.take('writes')];
    await Promise.all(waits);
    expect(sleeps).toEqual([625, 1250, 1875]);
    expect(budget.waitedMs.writes).toBe(3750);
  });

  it('keeps each kind in its own bucket', async () => {
    const { budget, sleeps } = clocked({ writes: { burst: 1, perSecond: 1 }, reads: { burst: 2, perSecond: 1 } });
    await budget.take('writes');
    await budget.take('reads');
    await budget.take('reads');
    expect(sleeps).toEqual([]);
    await budget.take('reads');
    expect(sleeps).toEqual([1250]);
  });

  it('refills while idle, never beyond the burst', async () => {
    const { budget, sleeps, advance } = clocked({ writes: { burst: 2, perSecond: 10 } });
    await budget.take('writes');
    await budget.take('writes');
    advance(60_000);
    await budget.take('writes');
    await budget.take('writes');
    expect(sleeps).toEqual([]);
    await budget.take('writes');
    expect(sleeps).toEqual([125]);
  });

  it("lowers its count to what ARM says remains, and a 429 leaves nothing for that kind", async () => {
    const { budget, sleeps } = clocked({ reads: { burst: 100, perSecond: 10 }, writes: { burst: 100, perSecond: 10 } });
    budget.observe(200, 'reads', (k) => (k === 'reads' ? '1' : undefined));
    await budget.take('reads');
    expect(sleeps).toEqual([]);
    await budget.take('reads');
    expect(sleeps).toEqual([125]);
    budget.observe(429, 'writes', () => undefined);
    await budget.take('writes');
    expect(sleeps).toEqual([125, 125]);
  });

  it('gives the token back when an aborted operation stops waiting', async () => {
    const { budget, sleeps } = clocked({ writes: { burst: 1, perSecond: 1 } });
    await budget.take('writes');
    const controller = new AbortController();
    controller.abort();
    await expect(budget.take('writes', controller.signal)).rejects.toThrow('aborted');
    await budget.take('writes');
    expect(sleeps).toEqual([1250, 1250]);
  });

  it('refuses a bucket that could never let a request through', () => {
    expect(() => new ArmRequestBudget({ writes: { burst: 0, perSecond: 1 } })).toThrow(RangeError);
    expect(() => new ArmRequestBudget({ reads: { burst: 5, perSecond: 0 } })).toThrow(RangeError);
  });
});
