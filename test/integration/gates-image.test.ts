/**
 * The gates that read the image (platforms, maxSize, maxAge, labels, referrers), each through
 * the real validate stage, the real inspector and RemoteRegistry on the local docker-registry:
 * a pass, a fail with reasons a person can act on (verdict `rejected`), and an error (content
 * deleted from the registry under the digest: verdict `pending`, never approved).
 */
import { compileSafeRegex } from '../../functions/config/safe-regex';
import { labelsGate } from '../../functions/gates/labels';
import { maxAgeGate } from '../../functions/gates/max-age';
import { maxSizeGate } from '../../functions/gates/max-size';
import { platformsGate } from '../../functions/gates/platforms';
import { referrersGate } from '../../functions/gates/referrers';
import { OCI_INDEX } from '../../functions/oci/media-types';
import { ImageRef } from '../../functions/oci/reference';
import { gateHarness, gateResult, rawDelete, seed, seedWithConfig, tracked, validate, validateAudit, type GateHarness, type Seeded } from '../helpers/gate-fixture';
import { pushReferrer } from '../helpers/image-synth';
import { rawPushManifest } from '../helpers/raw-registry';
import { freePort } from '../servers/free-port';

const DAY = 86_400_000;
const COSIGN_SIG = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SOURCE_LABEL = 'org.opencontainers.image.source';
const SPDX = 'application/spdx+json';

let h: GateHarness;
beforeAll(async () => {
  h = await gateHarness(new Date('2026-01-10T00:00:00Z'));
});
afterAll(() => h.close());

describe('platforms gate', () => {
  it('approves an index carrying every required platform (arm64 satisfied by arm64/v8)', async () => {
    const s = await seed(h, { seed: 'plat-pass', platforms: ['linux/amd64', 'linux/arm64/v8'] });
    const image = tracked(s, { platforms: ['linux/amd64', 'linux/arm64'] });
    const verdict = await validate(h, image, s, [platformsGate({ platforms: image.platforms! })]);
    expect(verdict.outcome).toBe('approved');
    expect(gateResult(verdict, 'platforms').detail).toEqual({ required: ['linux/amd64', 'linux/arm64'], available: ['linux/amd64', 'linux/arm64/v8'] });
  });

  it('rejects a digest lacking a required platform, naming it and what is there', async () => {
    const s = await seed(h, { seed: 'plat-fail', platforms: ['linux/amd64', 'linux/arm64'] });
    const verdict = await validate(h, tracked(s), s, [platformsGate({ platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'] })]);
    expect(verdict.outcome).toBe('rejected');
    expect(gateResult(verdict, 'platforms')).toMatchObject({ outcome: 'fail', reasons: ['missing linux/s390x; the image has linux/amd64, linux/arm64'] });
    const [audit] = await validateAudit(h, s);
    expect(audit).toMatchObject({ outcome: 'rejected', digest: s.digest });
    expect(JSON.stringify(audit.detail)).toContain('missing linux/s390x');
  });

  it('judges a single-platform manifest by its config', async () => {
    const s = await seed(h, { seed: 'plat-single', platforms: ['linux/amd64'] });
    const ok = await validate(h, tracked(s, { fingerprint: 'amd64' }), s, [platformsGate({ platforms: ['linux/amd64'] })]);
    expect(ok.outcome).toBe('approved');
    const bad = await validate(h, tracked(s, { fingerprint: 'arm64' }), s, [platformsGate({ platforms: ['linux/arm64'] })]);
    expect(bad.outcome).toBe('rejected');
    expect(gateResult(bad, 'platforms').reasons).toEqual(['missing linux/arm64; the image has linux/amd64']);
  });

  it('is pending, not approved, when a platform manifest cannot be read', async () => {
    const s = await seed(h, { seed: 'plat-error', platforms: ['linux/amd64', 'linux/arm64'] });
    await rawDelete(h, s.repo, 'manifests', s.image!.manifests[1].digest);
    const verdict = await validate(h, tracked(s), s, [platformsGate({ platforms: ['linux/amd64'] })]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'platforms').reasons[0]).toMatch(/^gate errored, will retry: /);
    expect(verdict.nextAttemptAt).toBeDefined();
  });
});

describe('maxSize gate', () => {
  it('approves platforms within the limit and records each size', async () => {
    const s = await seed(h, { seed: 'size-pass', layers: 2, layerSize: 1000 });
    const verdict = await validate(h, tracked(s), s, [maxSizeGate({ maxSize: 3000 })]);
    expect(verdict.outcome).toBe('approved');
    const sizes = gateResult(verdict, 'maxSize').detail?.sizes as Array<{ platform: string; bytes: number }>;
    expect(sizes.map((x) => x.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const x of sizes) expect(x.bytes).toBeGreaterThan(2000);
  });

  it('rejects naming each platform over the limit, its size and the limit in human units', async () => {
    const s = await seed(h, { seed: 'size-fail', layers: 3, layerSize: 600_000 });
    const verdict = await validate(h, tracked(s), s, [maxSizeGate({ maxSize: 1_500_000 })]);
    expect(verdict.outcome).toBe('rejected');
    const { reasons } = gateResult(verdict, 'maxSize');
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^linux\/amd64: 1\.8MB compressed \(18\d{5} bytes\), over the 1\.5MB limit$/);
    expect(reasons[1]).toMatch(/^linux\/arm64: 1\.8MB/);
  });

  it('judges only the platforms that would be promoted, and fails when none of them is there', async () => {
    const s = await seed(h, { seed: 'size-required', platforms: ['linux/amd64', 'linux/arm64'] });
    const only = await validate(h, tracked(s, { platforms: ['linux/arm64'], fingerprint: 'arm64' }), s, [maxSizeGate({ maxSize: 1e9 })]);
    expect((gateResult(only, 'maxSize').detail?.sizes as Array<{ platform: string }>).map((x) => x.platform)).toEqual(['linux/arm64']);
    const none = await validate(h, tracked(s, { platforms: ['linux/s390x'], fingerprint: 's390x' }), s, [maxSizeGate({ maxSize: 1e9 })]);
    expect(none.outcome).toBe('rejected');
    expect(gateResult(none, 'maxSize').reasons).toEqual(['the image has none of the required platforms (linux/s390x)']);
  });

  it('is pending when the index lists a manifest the registry no longer has', async () => {
    const s = await seed(h, { seed: 'size-error' });
    await rawDelete(h, s.repo, 'manifests', s.image!.manifests[0].digest);
    const verdict = await validate(h, tracked(s), s, [maxSizeGate({ maxSize: 1e9 })]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'maxSize').outcome).toBe('pending');
  });
});

describe('maxAge gate', () => {
  it('approves an image created within the bound', async () => {
    const s = await seed(h, { seed: 'age-pass', created: '2026-01-05T00:00:00Z' });
    const verdict = await validate(h, tracked(s), s, [maxAgeGate({ maxAge: 30 * DAY })]);
    expect(verdict.outcome).toBe('approved');
  });

  it('rejects an image older than the bound, saying how old', async () => {
    const s = await seed(h, { seed: 'age-fail', created: '2025-12-01T00:00:00Z', platforms: ['linux/amd64'] });
    const verdict = await validate(h, tracked(s), s, [maxAgeGate({ maxAge: 7 * DAY })]);
    expect(verdict.outcome).toBe('rejected');
    expect(gateResult(verdict, 'maxAge').reasons).toEqual(['linux/amd64: created 2025-12-01T00:00:00Z (40d ago), older than the 7d allowed']);
  });

  it('rejects a config without created, and one whose created is not a date', async () => {
    const none = await seedWithConfig(h, { architecture: 'amd64', os: 'linux', config: {} });
    const noneVerdict = await validate(h, tracked(none), none, [maxAgeGate({ maxAge: 7 * DAY })]);
    expect(noneVerdict.outcome).toBe('rejected');
    expect(gateResult(noneVerdict, 'maxAge').reasons).toEqual(['linux/amd64: the image config has no created date']);
    const bad = await seedWithConfig(h, { architecture: 'amd64', os: 'linux', created: 'yesterday' });
    const badVerdict = await validate(h, tracked(bad), bad, [maxAgeGate({ maxAge: 7 * DAY })]);
    expect(gateResult(badVerdict, 'maxAge').reasons).toEqual(['linux/amd64: the image config\'s created date "yesterday" is not an RFC 3339 date-time']);
  });

  it('is pending when the config blob cannot be read', async () => {
    const s = await seedWithConfig(h, { architecture: 'amd64', os: 'linux', created: '2026-01-09T00:00:00Z' });
    const manifest = await h.registry.manifestGet(s.source.withDigest(s.digest));
    await rawDelete(h, s.repo, 'blobs', JSON.parse(manifest.bytes.toString()).config.digest);
    const verdict = await validate(h, tracked(s), s, [maxAgeGate({ maxAge: 7 * DAY })]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'maxAge').reasons[0]).toMatch(/^gate errored, will retry: .*404/);
  });
});

describe('labels gate', () => {
  const labels = { [SOURCE_LABEL]: 'https://github.com/nodejs/docker-node', vendor: 'Node.js' };

  it('approves when every required label is present and matches', async () => {
    const s = await seed(h, { seed: 'labels-pass', labels });
    const verdict = await validate(h, tracked(s), s, [labelsGate({ labels: { [SOURCE_LABEL]: compileSafeRegex('^https://github\\.com/nodejs/'), vendor: '' } })]);
    expect(verdict.outcome).toBe('approved');
  });

  it('rejects per platform a missing label and a value that does not match', async () => {
    const s = await seed(h, { seed: 'labels-fail', labels, platforms: ['linux/amd64', 'linux/arm64'] });
    const verdict = await validate(h, tracked(s), s, [labelsGate({ labels: { [SOURCE_LABEL]: '^https://github.com/contoso/', 'org.opencontainers.image.revision': '' } })]);
    expect(verdict.outcome).toBe('rejected');
    expect(gateResult(verdict, 'labels').reasons).toEqual([
      `linux/amd64: label ${SOURCE_LABEL}="https://github.com/nodejs/docker-node" does not match /^https://github.com/contoso//`,
      'linux/amd64: label org.opencontainers.image.revision is missing',
      `linux/arm64: label ${SOURCE_LABEL}="https://github.com/nodejs/docker-node" does not match /^https://github.com/contoso//`,
      'linux/arm64: label org.opencontainers.image.revision is missing',
    ]);
  });

  it('is pending when a platform config blob is gone', async () => {
    const s = await seed(h, { seed: 'labels-error', labels, platforms: ['linux/amd64'] });
    const configDigest = JSON.parse(s.image!.manifests[0].bytes.toString()).config.digest as string;
    await rawDelete(h, s.repo, 'blobs', configDigest);
    const verdict = await validate(h, tracked(s), s, [labelsGate({ labels: { vendor: '' } })]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'labels').reasons[0]).toMatch(/will retry/);
  });
});

describe('referrers gate', () => {
  const subjectOf = (s: Seeded) => ({ digest: s.digest, mediaType: s.image!.mediaType, size: s.image!.bytes.length });
  /** docker-registry 2.8 has no referrers API: the pusher keeps the `sha256-<hex>` index (distribution-spec, referrers tag schema). */
  const listUnderReferrersTag = async (s: Seeded, referrer: { digest: string; bytes: Buffer }, artifactType: string) => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: referrer.digest, size: referrer.bytes.length, artifactType }] }));
    await rawPushManifest(h.target, s.repo, s.digest.replace(':', '-'), OCI_INDEX, index);
  };

  it('approves a digest with a referrer listed under the OCI referrers tag schema', async () => {
    const s = await seed(h, { seed: 'sig-oci' });
    const sig = await pushReferrer(h.target, s.repo, subjectOf(s), { artifactType: COSIGN_SIG, payload: 'signed' });
    await listUnderReferrersTag(s, sig, COSIGN_SIG);
    const verdict = await validate(h, tracked(s), s, [referrersGate({ artifactType: COSIGN_SIG })]);
    expect(verdict.outcome).toBe('approved');
    expect(gateResult(verdict, 'referrers').detail?.referrers).toEqual([{ digest: sig.digest, artifactType: COSIGN_SIG }]);
  });

  it("approves a digest signed under cosign's sha256-<hex>.sig tag", async () => {
    const s = await seed(h, { seed: 'sig-cosign-tag' });
    const sig = await pushReferrer(h.target, s.repo, subjectOf(s), { artifactType: 'application/octet-stream', payload: 'legacy', fallbackTag: true });
    const verdict = await validate(h, tracked(s), s, [referrersGate({ artifactType: COSIGN_SIG })]);
    expect(verdict.outcome).toBe('approved');
    expect(gateResult(verdict, 'referrers').detail?.referrers).toEqual([{ digest: sig.digest, artifactType: COSIGN_SIG }]);
  });

  it('rejects an unsigned digest, and one whose only referrer is of another type', async () => {
    const unsigned = await seed(h, { seed: 'sig-none' });
    const none = await validate(h, tracked(unsigned), unsigned, [referrersGate()]);
    expect(none.outcome).toBe('rejected');
    expect(gateResult(none, 'referrers').reasons).toEqual([`no signature or attestation refers to ${unsigned.digest}`]);

    const sbomOnly = await seed(h, { seed: 'sig-other' });
    const sbom = await pushReferrer(h.target, sbomOnly.repo, subjectOf(sbomOnly), { artifactType: SPDX, payload: 'sbom' });
    await listUnderReferrersTag(sbomOnly, sbom, SPDX);
    const other = await validate(h, tracked(sbomOnly, { fingerprint: 'cosign' }), sbomOnly, [referrersGate({ artifactType: COSIGN_SIG })]);
    expect(other.outcome).toBe('rejected');
    expect(gateResult(other, 'referrers').reasons).toEqual([`no referrer of type ${COSIGN_SIG} refers to ${sbomOnly.digest}`]);
    const any = await validate(h, tracked(sbomOnly, { fingerprint: 'any' }), sbomOnly, [referrersGate()]);
    expect(any.outcome).toBe('approved');
  });

  it('is pending when the registry cannot be reached', async () => {
    const s = await seed(h, { seed: 'sig-error' });
    const gone: Seeded = { ...s, source: ImageRef.of({ registry: `127.0.0.1:${await freePort()}`, repository: s.repo }) };
    const verdict = await validate(h, tracked(gone), gone, [referrersGate()]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'referrers').reasons[0]).toMatch(/^gate errored, will retry: /);
  });
});
