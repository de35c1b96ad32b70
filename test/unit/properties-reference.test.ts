/**
 * Properties of reference parsing (functions/oci/reference.ts), over generated references:
 * - parse ∘ toString is the identity on parsed references, and toString is canonical;
 * - any string at all either parses or throws InvalidReferenceError, nothing else;
 * - credentials written into a reference are refused and never echoed in the error.
 */
import * as fc from 'fast-check';
import { InvalidReferenceError, redactReference } from '../../functions/errors';
import { ImageRef, parseReference } from '../../functions/oci/reference';

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const digest = fc.oneof(hex(64).map((h) => `sha256:${h}`), hex(128).map((h) => `sha512:${h}`));
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const port = fc.integer({ min: 1, max: 65535 });
/** Registry hosts in every form the grammar allows, mixed case included. */
const registry = fc.oneof(
  fc.constantFrom('docker.io', 'index.docker.io', 'registry-1.docker.io', 'localhost', 'ghcr.io', 'mcr.microsoft.com'),
  fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('io', 'com', 'example')).map(([labels, tld]) => [...labels, tld].join('.')),
  fc.tuple(fc.constantFrom('localhost', '127.0.0.1', '[::1]', 'registry.local', 'Registry.Example.COM'), port).map(([h, p]) => `${h}:${p}`),
);
const component = fc.stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+){0,2}$/);
const repository = fc.array(component, { minLength: 1, maxLength: 4 }).map((c) => c.join('/'));
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/);
/** Reference strings as people write them: optional registry, repository, optional tag and digest. */
const referenceText = fc
  .record({ registry: fc.option(registry), repository, tag: fc.option(tag), digest: fc.option(digest) })
  // Without a registry, a first component with a dot would be read as one (docker's rule), so it gets Docker Hub's name.
  .map((r) => ({ ...r, registry: r.registry ?? (/^[^/]*\.[^/]*\//.test(r.repository) ? 'docker.io' : null) }))
  .map((r) => `${r.registry ? `${r.registry}/` : ''}${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`);

/** Parses, or returns the error; anything thrown that is not InvalidReferenceError fails the property. */
function attempt(input: string, options?: { defaultTag?: boolean }): ImageRef | InvalidReferenceError {
  try {
    return parseReference(input, options);
  } catch (err) {
    if (err instanceof InvalidReferenceError && err.code === 'REFERENCE_INVALID') return err;
    throw new Error(`parseReference(${JSON.stringify(input)}) threw ${String(err)}, not an InvalidReferenceError`);
  }
}

describe('reference parsing (properties)', () => {
  it('parse ∘ toString is the identity, and toString is canonical', () => {
    fc.assert(
      fc.property(referenceText, fc.boolean(), (text, defaultTag) => {
        const parsed = attempt(text, { defaultTag });
        if (parsed instanceof InvalidReferenceError) {
          // The only way a well-formed reference is refused: a name past the 255-character limit.
          expect(parsed.message).toMatch(/longer than 255/);
          return;
        }
        const again = parseReference(parsed.toString(), { defaultTag });
        expect([again.scheme, again.registry, again.repository, again.tag, again.digest]).toEqual([parsed.scheme, parsed.registry, parsed.repository, parsed.tag, parsed.digest]);
        expect(again.toString()).toBe(parsed.toString());
        expect(JSON.parse(JSON.stringify({ ref: parsed })).ref).toBe(parsed.toString());
        expect(parsed.registry).toBe(parsed.registry.toLowerCase());
        // Neither tag nor digest written: `latest` by default, a bare repository when asked.
        const bare = !/[:@]/.test(text.slice(text.lastIndexOf('/') + 1));
        expect(parsed.tag === undefined && parsed.digest === undefined).toBe(bare && !defaultTag);
        if (bare && defaultTag) expect(parsed.tag).toBe('latest');
      }),
      { numRuns: 2000 },
    );
  });

  it('withTag and withDigest round-trip through the same parser', () => {
    fc.assert(
      fc.property(referenceText, tag, digest, (text, t, d) => {
        const parsed = attempt(text);
        if (parsed instanceof InvalidReferenceError) return;
        const derived = parsed.withTag(t).withDigest(d);
        expect(parseReference(derived.toString()).toString()).toBe(derived.toString());
        expect(derived.pinned().toString()).toBe(`${parsed.name}@${d}`);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but InvalidReferenceError, whatever the input', () => {
    const mutated = fc.tuple(referenceText, fc.integer({ min: 0, max: 300 }), fc.string({ unit: 'binary', maxLength: 4 })).map(([t, at, insert]) => t.slice(0, at % (t.length + 1)) + insert + t.slice(at % (t.length + 1)));
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.constantFrom(...'aZ09:/@._-[]oci'), maxLength: 60 }),
      mutated,
      fc.constantFrom('oci:', 'oci://', 'oci:a//', '@', ':', '/', '//', '[::1]/x', 'a'.repeat(5000)),
    );
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, defaultTag) => {
        attempt(text, { defaultTag });
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses credentials written into a reference and never echoes them', () => {
    // (Layout references, `oci:<dir>//repo`, have no credentials: a password there would just be a directory name.)
    // Markers no generated host or repository can contain (uppercase, punctuation), so a hit is a real echo.
    const user = fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/).map((u) => `Usr${u}`);
    const password = fc.string({ unit: fc.constantFrom(...'abcXYZ019!$%&*+=~.-_:@/'), minLength: 1, maxLength: 24 }).map((p) => `Pw#${p}`);
    const withCredentials = fc.tuple(user, password, registry, fc.option(repository), fc.option(tag), fc.constantFrom('', 'https://', 'http://')).map(
      ([u, p, host, repo, t, scheme]) => ({ text: `${scheme}${u}:${p}@${host}${repo ? `/${repo}` : ''}${t ? `:${t}` : ''}`, user: u, password: p }),
    );
    fc.assert(
      fc.property(withCredentials, fc.boolean(), ({ text, user: u, password: p }, defaultTag) => {
        const result = attempt(text, { defaultTag });
        expect(result).toBeInstanceOf(InvalidReferenceError);
        const shown = `${(result as Error).message}\n${String(result)}\n${JSON.stringify(result)}`;
        expect(shown.includes(p) ? `echoed ${text}` : 'not echoed').toBe('not echoed');
        expect(shown.includes(`${u}:`) ? `echoed user of ${text}` : 'not echoed').toBe('not echoed');
      }),
      { numRuns: 2000 },
    );
  });

  it('redactReference keeps references without credentials as they are', () => {
    fc.assert(
      fc.property(referenceText, (text) => {
        expect(redactReference(text)).toBe(text);
      }),
    );
  });
});
