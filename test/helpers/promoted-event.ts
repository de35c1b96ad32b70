/**
 * The RebuildEvent the rebuild-trigger tests send: node:20-alpine promoted at
 * `sha256:<hex × 32>`. Each test file picks its own `hex`, so a digest seen in one file's
 * receivers cannot come from another's.
 */
import type { RebuildEvent } from '../../functions/pipeline/ports';

/** The event for `hex`; `previousHex` adds a previous digest, `registry` is where the target lives. */
export function promotedEvent(hex: string, options: { previousHex?: string; registry?: string } = {}): RebuildEvent {
  const digest = `sha256:${hex.repeat(32)}`;
  return {
    event: 'base-image-promoted',
    image: 'docker.io/library/node:20-alpine',
    tag: '20-alpine',
    digest,
    ...(options.previousHex ? { previousDigest: `sha256:${options.previousHex.repeat(32)}` } : {}),
    target: `${options.registry ?? 'base.example.azurecr.io'}/base/node@${digest}`,
    immutableTag: `20-alpine-${hex.repeat(6)}`,
    time: '2026-03-01T12:00:00.000Z',
  };
}
