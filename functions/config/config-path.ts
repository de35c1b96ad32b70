/**
 * Paths inside the config document, printed the way a person finds them in the file:
 * `images[2].tags[0]`, `registries["docker.io"].minRemaining`. A key is shown redacted
 * (errors.ts redactReference): `registries["user:pass@host"]` must not print the password.
 */
import { redactReference } from '../errors';

/** One step into the document: a mapping key or a list index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Formats a document path: identifiers as `.key`, other keys as `["key"]`, indexes as `[n]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(redactReference(String(segment)))}]`;
  }
  return out || '(document)';
}
