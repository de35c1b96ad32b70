/**
 * Rules every StateStore backend applies the same way, so that the pipeline behaves alike
 * on a laptop and in Azure: values are JSON, bounded in size (Table Storage holds at most
 * 1 MiB per entity, 64 KiB per string property), and conflicts carry one stable code.
 */
import { BasegateError } from '../errors';
import type { PutOptions, StateKind } from '../pipeline/ports';

/** Characters of JSON per chunk: a Table string property holds 32 Ki UTF-16 units; leave room. */
export const CHUNK_CHARS = 30_000;
/** Chunks per record: 15 × 60 KB of UTF-16 stays under Table Storage's 1 MiB entity limit. */
export const MAX_CHUNKS = 15;
/** Largest serialised value any backend accepts. */
export const MAX_VALUE_CHARS = CHUNK_CHARS * MAX_CHUNKS;
/** Longest key: keys are ids and digests, never content. */
export const MAX_KEY_CHARS = 2048;

/**
 * Serialises a value for storage as ASCII-only JSON (non-ASCII as `\uXXXX`); throws
 * `STATE_VALUE_INVALID` or `STATE_VALUE_TOO_LARGE`. ASCII because chunks must never split a
 * character, and because Azurite (3.35) corrupts a multi-byte UTF-8 character that straddles
 * two 64 KiB buffers of a request body; records are nearly all ASCII, so this costs nothing.
 */
export function serializeStateValue(kind: StateKind | 'audit', key: string, value: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_CHARS) {
    throw new BasegateError('STATE_KEY_INVALID', `state key for ${kind} must be a string of 1 to ${MAX_KEY_CHARS} characters`);
  }
  const raw = value === undefined ? undefined : JSON.stringify(value);
  if (raw === undefined) throw new BasegateError('STATE_VALUE_INVALID', `state record ${kind}/${key} has no JSON value (undefined or a function)`);
  const json = raw.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (json.length > MAX_VALUE_CHARS) {
    throw new BasegateError('STATE_VALUE_TOO_LARGE', `state record ${kind}/${key} is ${json.length} characters of JSON; at most ${MAX_VALUE_CHARS} are stored per record`);
  }
  return json;
}

/** The error for a failed condition of `put` (etag moved, record exists, record gone). */
export function stateConflict(kind: StateKind, key: string, reason: string): BasegateError {
  return new BasegateError('STATE_CONFLICT', `state record ${kind}/${key}: ${reason}`);
}

/** Refuses contradictory put conditions. */
export function checkPutOptions(options: PutOptions): void {
  if (options.etag !== undefined && options.ifAbsent) {
    throw new BasegateError('STATE_OPTIONS_INVALID', 'put takes either etag (update that version) or ifAbsent (create), not both');
  }
}

/** Splits serialised (ASCII) JSON into chunks of at most `size` characters. */
export function chunkJson(json: string, size = CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < json.length; i += size) chunks.push(json.slice(i, i + size));
  return chunks.length > 0 ? chunks : [''];
}
