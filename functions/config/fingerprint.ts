/**
 * Hashes of configuration, to notice when what a decision was made under has changed:
 * a digest rejected by the gates is validated again when its gates change (issue #5),
 * not on every poll.
 */
import { createHash } from 'node:crypto';
import type { ImageConfig } from './config';

/**
 * What the gates judge, beyond their configuration: bumped when that changes, so verdicts reached
 * under the old rules are reached again. 2: the whole promotion closure (issue #16).
 */
const JUDGING_RULES = 2;

/** A stable hash of an image's gate configuration (gates and required platforms, and the judging rules), 16 hex digits. */
export function gatesFingerprint(image: Pick<ImageConfig, 'gates' | 'platforms'>): string {
  return sha256(canonicalJson({ gates: image.gates, platforms: image.platforms ?? null, rules: JUDGING_RULES })).slice(0, 16);
}

/** A stable hash of a parsed config document (before `${VAR}` interpolation, so no secret value goes into it). */
export function configHash(document: unknown): string {
  return sha256(canonicalJson(document));
}

/** JSON with sorted keys; regexes as `/source/` (SafeRegex through its toJSON), undefined members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (value instanceof RegExp) return `/${value.source}/${value.flags}`;
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return (value as { toJSON(): unknown }).toJSON();
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalise(v);
    }
    return out;
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
