/**
 * Field schemas shared by the config schema: values that are parsed as they are validated
 * (durations and sizes into numbers, patterns into linear-time regexes), each failing with
 * "expected ..." so that the error names what should have been written.
 */
import { z } from 'zod';
import { compileSafeRegex } from './safe-regex';
import { parseDuration } from './duration';
import { parseSize } from './size';
import { isValidRange } from './tag-policy';

/** A custom issue: `expected` is what should have been written; the loader adds what was found. */
function expected(ctx: { issues: unknown[] }, input: unknown, what: string): never {
  ctx.issues.push({ code: 'custom', message: `expected ${what}`, input, params: { expected: what } });
  return z.NEVER as never;
}

/** A custom issue whose message is complete (it already says what was found). */
function complete(ctx: { issues: unknown[] }, input: unknown, message: string): never {
  ctx.issues.push({ code: 'custom', message, input, params: { complete: true } });
  return z.NEVER as never;
}

/** Parses the value with `parse`; a thrown error becomes the issue (its message says expected and found). */
function parsed<T>(what: string, parse: (value: string) => T, accept: (v: unknown) => v is string = isString) {
  return z.unknown().transform((value, ctx): T => {
    if (!accept(value)) return expected(ctx, value, what);
    try {
      return parse(value);
    } catch (err) {
      return complete(ctx, value, (err as Error).message);
    }
  });
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

/** `24h` → milliseconds. */
export const durationField = parsed('a duration such as 30s, 15m, 24h or 7d', parseDuration);

/** `500MB` → bytes (a bare number is bytes). */
export const sizeField = z.unknown().transform((value, ctx): number => {
  if (typeof value !== 'string' && typeof value !== 'number') return expected(ctx, value, 'a size such as 500MB or 2GiB');
  try {
    return parseSize(value);
  } catch (err) {
    return complete(ctx, value, (err as Error).message);
  }
});

/** A user regex, compiled for linear-time matching (RE2 syntax). */
export const regexField = parsed('a regular expression', compileSafeRegex);

/** A semver range (`>=20 <23`). */
export const semverRangeField = parsed('a semver range such as ">=20 <23" or "^22"', (value) => {
  if (!isValidRange(value)) throw new Error(`expected a semver range such as ">=20 <23" or "^22", found ${JSON.stringify(value)}`);
  return value;
});

/** A string matching `re`; the issue says `expected <what>`. */
export function matching(re: RegExp, what: string) {
  return z.string().refine((v) => re.test(v), { message: `expected ${what}`, params: { expected: what } });
}

/** A tag as the distribution spec allows it. */
export const tagField = matching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})');

/** A platform `os/arch[/variant]` as in an image index. */
export const platformField = matching(/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/, 'a platform os/arch[/variant] such as linux/amd64 or linux/arm/v7');

/** The ARM resource id of a container registry. */
export const registryResourceIdField = matching(
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[A-Za-z0-9]{5,50}$/i,
  'a registry resource id /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>',
);

/** A host name or `[v6]` with an optional port, no scheme or path (a token realm host). */
export const hostField = matching(/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/, 'a host or host:port such as auth.example.com');

/** A non-empty string. */
export const text = z.string().min(1);

/** An https URL (Key Vault secret references, API base URLs). */
export const httpsUrlField = matching(/^https:\/\/[^\s/@]+(?:\/\S*)?$/, 'an https:// URL without credentials');
