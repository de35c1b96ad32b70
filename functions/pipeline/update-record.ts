/** Read-modify-write of one state record under optimistic concurrency, retried on conflict. */
import { BasegateError } from '../errors';
import type { StateKind, StateStore } from './ports';

/** Conflicts tolerated before giving up: more means something writes the record in a loop. */
const MAX_CONFLICTS = 20;

/**
 * Applies `change` to the current value (undefined when absent) and writes the result with the
 * etag it read; on a conflict it reads again and re-applies. `change` returning undefined writes nothing.
 * `deferred` says, of a change, whether its write may be deferred (ports.ts `PutOptions.deferred`).
 */
export async function updateRecord<T>(
  state: StateStore,
  kind: StateKind,
  key: string,
  change: (current: T | undefined) => T | undefined,
  deferred: (current: T | undefined, next: T) => boolean = () => false,
): Promise<T | undefined> {
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    const known = await state.get<T>(kind, key);
    const next = change(known?.value);
    if (next === undefined) return known?.value;
    try {
      const defer = deferred(known?.value, next) ? { deferred: true } : {};
      await state.put(kind, key, next, known ? { etag: known.etag, ...defer } : { ifAbsent: true, ...defer });
      return next;
    } catch (err) {
      if (err instanceof BasegateError && err.code === 'STATE_CONFLICT') continue;
      throw err;
    }
  }
  throw new BasegateError('STATE_CONFLICT', `${kind} ${key}: still changing under us after ${MAX_CONFLICTS} attempts`, { temporary: true });
}
