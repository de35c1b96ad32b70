import { ConfigError } from '../../functions/errors';
import { createLimit } from '../../functions/oci/limit';

describe('createLimit', () => {
  it('never runs more than `concurrency` tasks at once and runs them all, in arrival order', async () => {
    const limit = createLimit(3);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          started.push(i);
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          active--;
          return i * 2;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('frees the slot of a task that throws', async () => {
    const limit = createLimit(1);
    await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(async () => 'next')).resolves.toBe('next');
  });

  it.each([0, -1, 1.5, NaN])('refuses concurrency %p', (n) => {
    expect(() => createLimit(n)).toThrow(ConfigError);
  });
});
