/** Asserts that no secret appears anywhere an error could be shown: message, stack, describeError, inspect, JSON. */
import { inspect } from 'node:util';
import { describeError } from '../../functions/errors';

/** Throws when any of `secrets` appears in any rendering of `err`. */
export function expectNoSecrets(err: unknown, secrets: readonly string[]): void {
  const renderings = [
    describeError(err),
    err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err),
    inspect(err, { depth: 8, showHidden: false }),
    JSON.stringify(err) ?? '',
  ].join('\n');
  for (const secret of secrets) {
    if (!secret) throw new Error('expectNoSecrets: an empty secret proves nothing');
    expect(renderings.includes(secret) ? `leaked ${secret.slice(0, 3)}…` : 'no leak').toBe('no leak');
  }
}

/** The rejection of `promise`; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a result');
}
