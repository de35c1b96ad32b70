/**
 * A tiny concurrency limiter: at most `concurrency` tasks run at once, the rest wait in
 * arrival order. Tasks must not wait on other tasks of the same limiter (a task holding a slot
 * while waiting for a queued one could deadlock); the copy limits only leaf operations.
 */
import { ConfigError } from '../errors';

/** Runs a task when a slot is free; resolves or rejects as the task does. */
export type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** A limiter allowing `concurrency` tasks at once. */
export function createLimit(concurrency: number): Limit {
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new ConfigError(`expected an integer >= 1, got ${concurrency}`, { path: 'concurrency' });
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so a newcomer can never slip in between.
    if (active < concurrency) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
