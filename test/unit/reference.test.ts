import { parseReference, ImageRef } from '../../functions/oci/reference';
import { InvalidReferenceError } from '../../functions/errors';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference', () => {
  it.each([
    ['node', 'docker.io/library/node:latest', 'registry-1.docker.io'],
    ['node:20-alpine', 'docker.io/library/node:20-alpine', 'registry-1.docker.io'],
    ['library/node', 'docker.io/library/node:latest', 'registry-1.docker.io'],
    ['docker.io/node', 'docker.io/library/node:latest', 'registry-1.docker.io'],
    ['index.docker.io/library/node:20', 'docker.io/library/node:20', 'registry-1.docker.io'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7', 'registry-1.docker.io'],
    ['mcr.microsoft.com/dotnet/runtime:8.0', 'mcr.microsoft.com/dotnet/runtime:8.0', 'mcr.microsoft.com'],
    ['ghcr.io/org/app', 'ghcr.io/org/app:latest', 'ghcr.io'],
    ['127.0.0.1:5000/base/node:20', '127.0.0.1:5000/base/node:20', '127.0.0.1:5000'],
    ['localhost/app:v1', 'localhost/app:v1', 'localhost'],
    ['localhost:5000/a/b/c:v1', 'localhost:5000/a/b/c:v1', 'localhost:5000'],
    [`node@${D}`, `docker.io/library/node@${D}`, 'registry-1.docker.io'],
    [`node:20@${D}`, `docker.io/library/node:20@${D}`, 'registry-1.docker.io'],
    ['Registry.Example.COM/x/y:Tag_1', 'registry.example.com/x/y:Tag_1', 'registry.example.com'],
    ['a.io/my_app__x-y.z:1', 'a.io/my_app__x-y.z:1', 'a.io'],
  ])('%s → %s', (input, canonical, host) => {
    const ref = parseReference(input);
    expect(ref.toString()).toBe(canonical);
    expect(ref.host).toBe(host);
    expect(parseReference(ref.toString()).toString()).toBe(canonical);
  });

  it.each([
    ['', 'is empty'],
    ['Node', 'must be lowercase'],
    ['node:', 'tag ""'],
    ['node:-bad', 'tag "-bad"'],
    [`node@sha256:abc`, 'must be sha256:<64 hex>'],
    [`node@md5:${'a'.repeat(32)}`, 'algorithm "md5" is not supported'],
    ['user:pass@registry.io/x', 'must not embed credentials'],
    ['registry.io/../etc/passwd', 'path traversal'],
    ['registry.io/a//b', 'empty path component'],
    ['https://registry.io/x', 'URL scheme'],
    ['registry.io:99999/x', 'out of range'],
    ['has space', 'white space'],
    ['registry.io/-x', 'must match'],
    [`a.io/${'x'.repeat(260)}`, 'longer than 255'],
  ])('refuses %j (%s)', (input, reason) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(reason);
  });

  it('quotes the input in the error', () => {
    expect(() => parseReference('Bad/Name')).toThrow('invalid reference "Bad/Name"');
  });

  it('keeps a bare repository when asked', () => {
    const ref = parseReference('docker.io/library/node', { defaultTag: false });
    expect(ref.tag).toBeUndefined();
    expect(ref.toString()).toBe('docker.io/library/node');
  });

  it('parses OCI layout references', () => {
    const ref = parseReference(`oci:/tmp/mirror//base/node:20@${D}`);
    expect(ref.scheme).toBe('layout');
    expect(ref.registry).toBe('/tmp/mirror');
    expect(ref.repository).toBe('base/node');
    expect(ref.tag).toBe('20');
    expect(ref.digest).toBe(D);
    expect(parseReference(ref.toString()).equals(ref)).toBe(true);
  });

  it('derives new values without changing the original', () => {
    const ref = parseReference('node:20');
    const pinned = ref.withDigest(D);
    expect(ref.digest).toBeUndefined();
    expect(pinned.toString()).toBe(`docker.io/library/node:20@${D}`);
    expect(pinned.pinned().toString()).toBe(`docker.io/library/node@${D}`);
    expect(pinned.identifier).toBe(D);
    expect(ref.identifier).toBe('20');
    expect(JSON.stringify({ ref })).toBe('{"ref":"docker.io/library/node:20"}');
    expect(ImageRef.of({ registry: 'docker.io', repository: 'node' }).toString()).toBe('docker.io/library/node');
  });
});
