import { ConfigError, ContentRejectedError } from '../../functions/errors';
import { filterIndex, parsePlatform, platformMatches } from '../../functions/oci/platform-filter';
import { indexSchema } from '../../functions/oci/schema';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const entry = (n: number, platform?: { os: string; architecture: string; variant?: string }, annotations?: Record<string, string>) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: d(n),
  size: 100 + n,
  ...(platform ? { platform } : {}),
  ...(annotations ? { annotations } : {}),
});

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['Windows/AMD64', { os: 'windows', architecture: 'amd64' }],
  ])('%s', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  it.each(['linux', 'linux/amd64/v1/x', 'linux//amd64', '', 'linux/am d64'])('refuses %j', (text) => {
    expect(() => parsePlatform(text)).toThrow(ConfigError);
  });
});

describe('platformMatches', () => {
  it.each([
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64' }, true],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm' }, true],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm' }, false],
    ['linux/amd64', { os: 'linux', architecture: 'arm64' }, false],
    ['linux/amd64', { os: 'windows', architecture: 'amd64' }, false],
  ])('%s vs %j → %s', (wanted, platform, expected) => {
    expect(platformMatches([parsePlatform(wanted)], platform)).toBe(expected);
  });
});

describe('filterIndex', () => {
  const index = {
    schemaVersion: 2 as const,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      entry(1, { os: 'linux', architecture: 'amd64' }),
      entry(2, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(3, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d(1) }),
      entry(4, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d(2) }),
    ],
    annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    'x-unknown-field': { kept: true },
  };

  it('keeps the matching platform, its attestation, annotations and unknown fields', () => {
    const out = filterIndex(index, [parsePlatform('linux/arm64')], 'test index');
    if (!out.changed) throw new Error('expected a change');
    const json = JSON.parse(out.bytes.toString()) as Record<string, unknown>;
    expect(indexSchema.parse(json).manifests.map((m) => m.digest)).toEqual([d(2), d(4)]);
    expect(json.annotations).toEqual(index.annotations);
    expect(json['x-unknown-field']).toEqual({ kept: true });
    expect(json.mediaType).toBe(index.mediaType);
    expect(Object.keys(json)).toEqual(Object.keys(index));
    expect(out.dropped).toBe(2);
  });

  it('reports no change when every platform is kept (the caller copies the bytes verbatim)', () => {
    expect(filterIndex(index, [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')], 'test index')).toEqual({ changed: false });
  });

  it('refuses a filter that matches nothing, naming what the index has', () => {
    expect(() => filterIndex(index, [parsePlatform('linux/s390x')], 'test index')).toThrow(ContentRejectedError);
    expect(() => filterIndex(index, [parsePlatform('linux/s390x')], 'test index')).toThrow(/linux\/amd64, linux\/arm64\/v8/);
  });
});
