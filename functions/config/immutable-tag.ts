/**
 * The immutable tag a promoted digest also gets in the target (`20-alpine-0123456789ab`), so
 * that every promotion stays addressable by a tag after the moving tag goes on.
 * Template placeholders: `{tag}`, `{digest12}` (first 12 hex digits), `{digest}` (all hex).
 * The result is always a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`): the `{tag}` part is
 * shortened when the whole would pass 128 characters, never the digest part.
 */
import { BasegateError } from '../errors';

/** Template used when the config names none. */
export const DEFAULT_IMMUTABLE_TAG = '{tag}-{digest12}';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_TAG = 128;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['tag', 'digest12', 'digest']);

/** Renders the immutable tag for (tag, digest); throws `IMMUTABLE_TAG_INVALID` when the result is not a valid tag. */
export function renderImmutableTag(template: string, values: { tag: string; digest: string }): string {
  const hex = values.digest.slice(values.digest.indexOf(':') + 1);
  const fixed = template.replace(PLACEHOLDER, (_, name: string) => (name === 'tag' ? '' : name === 'digest12' ? hex.slice(0, 12) : name === 'digest' ? hex : `{${name}}`));
  const tagCount = [...template.matchAll(PLACEHOLDER)].filter((m) => m[1] === 'tag').length;
  const room = tagCount > 0 ? Math.floor((MAX_TAG - fixed.length) / tagCount) : 0;
  const tagPart = values.tag.slice(0, Math.max(0, room));
  const out = template.replace(PLACEHOLDER, (whole, name: string) =>
    name === 'tag' ? tagPart : name === 'digest12' ? hex.slice(0, 12) : name === 'digest' ? hex : whole,
  );
  if (!TAG.test(out)) {
    throw new BasegateError('IMMUTABLE_TAG_INVALID', `immutable tag template ${JSON.stringify(template)} gives ${JSON.stringify(out)}, which is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
  }
  return out;
}

/** Why a template cannot give a valid immutable tag, or undefined when it can. */
export function checkImmutableTagTemplate(template: string): string | undefined {
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
  const unknown = names.find((n) => !KNOWN.has(n));
  if (unknown !== undefined) return `unknown placeholder {${unknown}} (expected {tag}, {digest12} or {digest})`;
  if (!names.includes('digest12') && !names.includes('digest')) return 'expected {digest12} or {digest} in the template: without the digest the tag would move';
  try {
    renderImmutableTag(template, { tag: 'x'.repeat(MAX_TAG), digest: `sha256:${'0'.repeat(64)}` });
    renderImmutableTag(template, { tag: '1', digest: `sha256:${'0'.repeat(64)}` });
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}
