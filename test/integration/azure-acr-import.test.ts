/**
 * ACR promotion through ARM importImage: the real `@azure/arm-containerregistry` client against
 * the ARM contract fake (HTTPS, schema-checked bodies), which copies from a real local
 * `docker-registry` (Basic auth) into the ACR stand-in (test/servers/acr-stand-in.ts: token auth,
 * no anonymous or Basic access); the data-plane reads of the target go through the real
 * RemoteRegistry logged in with Entra ID (functions/azure/acr-entra-login.ts).
 * Target content is compared byte for byte with the test-only raw client.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { Agent } from 'undici';
import { AcrImportPromoter, ACR_IMPORT_MAX_MANIFESTS } from '../../functions/azure/acr-import-promoter';
import { importIntoAcr } from '../../functions/azure/acr-import';
import { parseAcrResourceId } from '../../functions/azure/acr-resource-id';
import { AcrEntraLogin } from '../../functions/azure/acr-entra-login';
import { createArmClient } from '../../functions/azure/arm-client';
import { ArmError } from '../../functions/azure/arm-error';
import { createSecretResolver } from '../../functions/azure/secret-resolver';
import { OCI_INDEX } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { pushImage, pushReferrer, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetBlob, rawGetManifest, rawPushManifest, rawTags, type RawTarget } from '../helpers/raw-registry';
import { staticCredential } from '../helpers/static-credential';
import { AcrStandIn } from '../servers/acr-stand-in';
import { ArmContractFake } from '../servers/arm-contract-fake';
import { startEntraAuthority, type EntraAuthority } from '../servers/entra-authority';
import { KeyVaultContractFake } from '../servers/key-vault-contract-fake';
import { testEnv, uniqueRepo } from '../servers/test-env';

const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';

describe('AcrImportPromoter against the ARM contract fake', () => {
  let fake: ArmContractFake;
  let vault: KeyVaultContractFake;
  let client: ContainerRegistryManagementClient;
  let registryId: string;
  let dataPlane: RemoteRegistry;
  let source: RawTarget;
  let target: RawTarget;
  let passwordSecret: string;
  let authority: EntraAuthority;
  let acr: AcrStandIn;

  beforeAll(async () => {
    const env = testEnv().registries;
    const [username, password] = Object.entries(env.basic.users)[0];
    source = { host: env.basic.host, username, password };
    authority = await startEntraAuthority();
    acr = await AcrStandIn.start({ authority });
    target = acr.adminTarget();
    fake = await ArmContractFake.start();
    vault = await KeyVaultContractFake.start();
    passwordSecret = vault.setSecret('source-password', password);
    registryId = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-base', name: 'contosobase', storage: target });
    client = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca });
    const login = new AcrEntraLogin({ credential: () => authority.credential(), hosts: { [acr.host]: {} } });
    dataPlane = new RemoteRegistry({ hosts: { [source.host]: { username, password } }, credentials: login.configuredProvider() });
  });

  afterEach(() => {
    fake.assertDone();
    vault.assertDone();
    acr.assertDone();
  });

  afterAll(async () => {
    await dataPlane.close();
    await fake.close();
    await vault.close();
    await acr.stop();
    await authority.close();
  });

  function promoter(extra: Partial<ConstructorParameters<typeof AcrImportPromoter>[0]> = {}): AcrImportPromoter {
    const kvAgent = new Agent({ connect: { ca: vault.ca } });
    return new AcrImportPromoter({
      client,
      registry: registryId,
      sourceRegistry: dataPlane,
      targetRegistry: dataPlane,
      credentials: { [source.host]: { username: { value: source.username! }, password: { keyVaultSecret: passwordSecret } } },
      resolveSecret: createSecretResolver({ keyVault: { credential: staticCredential(vault.token), dispatcher: kvAgent } }),
      pollIntervalMs: 10,
      timeoutMs: 30_000,
      ...extra,
    });
  }

  async function seed(seedName: string, tag: string, options: Partial<Parameters<typeof synthImage>[0]> = {}): Promise<{ repo: string; image: SynthImage }> {
    const repo = uniqueRepo('acr-src');
    const image = synthImage({ seed: seedName, layers: 2, layerSize: 2048, ...options });
    await pushImage(source, repo, [tag], image);
    return { repo, image };
  }

  const request = (repo: string, tag: string, digest: string, targetRepo: string, tags: string[]) => ({
    source: parseReference(`${source.host}/${repo}:${tag}@${digest}`),
    target: parseReference(`${target.host}/${targetRepo}`, { defaultTag: false }),
    tags,
  });

  /** Every manifest and blob of the image is in the target repository with identical bytes. */
  async function expectSameContent(targetRepo: string, image: SynthImage): Promise<void> {
    const top = await rawGetManifest(target, targetRepo, image.digest);
    expect(top?.bytes.equals(image.bytes)).toBe(true);
    for (const m of image.manifests) expect((await rawGetManifest(target, targetRepo, m.digest))?.bytes.equals(m.bytes)).toBe(true);
    for (const [digest, bytes] of image.blobs) expect((await rawGetBlob(target, targetRepo, digest))?.equals(bytes)).toBe(true);
  }

  it('imports a multi-arch image by digest: same index digest, identical bytes, immutable tag first under NoForce', async () => {
    const { repo, image } = await seed('acr-multi', '20-alpine');
    const targetRepo = uniqueRepo('base/node');
    const immutable = `20-alpine-${image.digest.slice(7, 19)}`;
    fake.expectImport({ inProgressPolls: 2 });
    fake.expectImport();

    const result = await promoter().promote(request(repo, '20-alpine', image.digest, targetRepo, ['20-alpine', immutable]));

    expect(result).toMatchObject({ digest: image.digest, tags: ['20-alpine', immutable], manifests: 3, referrers: 0, bytesUploaded: 0 });
    expect(image.mediaType).toBe(OCI_INDEX);
    await expectSameContent(targetRepo, image);
    expect(await rawTags(target, targetRepo)).toEqual([immutable, '20-alpine'].sort());
    const [first, second] = fake.imports.slice(-2).map((c) => c.body);
    expect(first).toEqual({
      source: { registryUri: source.host, sourceImage: `${repo}@${image.digest}`, credentials: { username: source.username, password: source.password } },
      targetTags: [`${targetRepo}:${immutable}`],
      mode: 'NoForce',
    });
    expect(second).toMatchObject({ targetTags: [`${targetRepo}:20-alpine`], mode: 'NoForce' });
    // The LRO was polled through its InProgress answers, and the secret came from Key Vault.
    expect(fake.requests.filter((r) => r.path.includes('/operationStatuses/')).length).toBeGreaterThanOrEqual(5);
    expect(vault.requests.filter((r) => r.path === '/secrets/source-password').length).toBe(1);
  });

  it('is a no-op when run again: no import is sent', async () => {
    const { repo, image } = await seed('acr-rerun', 'v1');
    const targetRepo = uniqueRepo('base/rerun');
    fake.expectImport();
    fake.expectImport();
    await promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1', 'v1-imm']));
    const before = fake.imports.length;
    const again = await promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1', 'v1-imm']));
    expect(fake.imports.length).toBe(before);
    expect(again).toMatchObject({ digest: image.digest, manifests: 0 });
  });

  it('moves the moving tag with Force and leaves the earlier immutable tag in place', async () => {
    const { repo, image: first } = await seed('acr-move-1', 'v1');
    const targetRepo = uniqueRepo('base/move');
    fake.expectImport();
    fake.expectImport();
    await promoter().promote(request(repo, 'v1', first.digest, targetRepo, ['v1', 'v1-one']));
    const second = synthImage({ seed: 'acr-move-2', layers: 1, layerSize: 1024 });
    await pushImage(source, repo, ['v1'], second);
    fake.expectImport();
    fake.expectImport();

    await promoter().promote(request(repo, 'v1', second.digest, targetRepo, ['v1', 'v1-two']));

    const [imm, moving] = fake.imports.slice(-2).map((c) => c.body);
    expect(imm).toMatchObject({ targetTags: [`${targetRepo}:v1-two`], mode: 'NoForce' });
    expect(moving).toMatchObject({ targetTags: [`${targetRepo}:v1`], mode: 'Force' });
    expect((await rawGetManifest(target, targetRepo, 'v1'))?.digest).toBe(second.digest);
    expect((await rawGetManifest(target, targetRepo, 'v1-one'))?.digest).toBe(first.digest);
  });

  it('treats an existing immutable tag with the same digest as done (checked before, and after a racing NoForce conflict)', async () => {
    const { repo, image } = await seed('acr-same', 'v1');
    const targetRepo = uniqueRepo('base/same');
    await pushImage(target, targetRepo, ['v1-imm'], image);
    // Present before: no import at all for a request naming only the immutable tag.
    const result = await promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1-imm']));
    expect(result.digest).toBe(image.digest);

    // Absent at the check, written by someone else just before ACR copies: NoForce fails, the digests match.
    const raceRepo = uniqueRepo('base/race');
    fake.expectImport({ beforeCopy: () => pushImage(target, raceRepo, ['v1-imm'], image) });
    fake.expectImport();
    await promoter().promote(request(repo, 'v1', image.digest, raceRepo, ['v1', 'v1-imm']));
    expect((await rawGetManifest(target, raceRepo, 'v1'))?.digest).toBe(image.digest);
  });

  it('refuses with IMMUTABLE_TAG_CONFLICT when the immutable tag points at another digest', async () => {
    const { repo, image } = await seed('acr-conflict', 'v1');
    const other = synthImage({ seed: 'acr-conflict-other', layers: 1, layerSize: 512 });
    const targetRepo = uniqueRepo('base/conflict');
    await pushImage(target, targetRepo, ['v1-imm'], other);
    await expect(promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1', 'v1-imm']))).rejects.toMatchObject({ code: 'IMMUTABLE_TAG_CONFLICT' });
    expect((await rawGetManifest(target, targetRepo, 'v1'))).toBeUndefined();

    const raceRepo = uniqueRepo('base/conflict-race');
    fake.expectImport({ beforeCopy: () => pushImage(target, raceRepo, ['v1-imm'], other) });
    await expect(promoter().promote(request(repo, 'v1', image.digest, raceRepo, ['v1', 'v1-imm']))).rejects.toMatchObject({ code: 'IMMUTABLE_TAG_CONFLICT' });
    expect((await rawGetManifest(target, raceRepo, 'v1-imm'))?.digest).toBe(other.digest);
  });

  it('imports referrers one by one: a cosign tag with its tag, an OCI referrer by digest', async () => {
    const { repo, image } = await seed('acr-referrers', 'v1');
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    const signature = await pushReferrer(source, repo, subject, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', payload: 'sig', fallbackTag: true });
    const sbom = await pushReferrer(source, repo, subject, { artifactType: 'application/spdx+json', payload: '{"spdx":true}' });
    // distribution 2.8 has no referrers API: maintain the referrers tag schema index, as pushing clients do.
    const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' }] }));
    await rawPushManifest(source, repo, image.digest.replace(':', '-'), OCI_INDEX, list);
    const targetRepo = uniqueRepo('base/referrers');
    for (let i = 0; i < 4; i++) fake.expectImport();

    const result = await promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1', 'v1-imm']));

    expect(result.referrers).toBe(2);
    const bodies = fake.imports.slice(-4).map((c) => c.body);
    const sigTag = `${image.digest.replace(':', '-')}.sig`;
    expect(bodies[1]).toMatchObject({ source: { sourceImage: `${repo}@${signature.digest}` }, targetTags: [`${targetRepo}:${sigTag}`] });
    expect(bodies[2]).toMatchObject({ source: { sourceImage: `${repo}@${sbom.digest}` }, untaggedTargetRepositories: [targetRepo] });
    expect(bodies[3]).toMatchObject({ targetTags: [`${targetRepo}:v1`] });
    expect((await rawGetManifest(target, targetRepo, signature.digest))?.bytes.equals(signature.bytes)).toBe(true);
    expect((await rawGetManifest(target, targetRepo, sbom.digest))?.bytes.equals(sbom.bytes)).toBe(true);
    expect((await rawGetManifest(target, targetRepo, sigTag))?.digest).toBe(signature.digest);
  });

  it('refuses an index of more than 50 manifests before any import, and the fake enforces the same limit', async () => {
    const platforms = Array.from({ length: ACR_IMPORT_MAX_MANIFESTS }, (_, i) => `linux/arch${i}`);
    const { repo, image } = await seed('acr-many', 'v1', { platforms, layers: 0 });
    const targetRepo = uniqueRepo('base/many');
    await expect(promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1']))).rejects.toMatchObject({ code: 'ACR_IMPORT_TOO_MANY_MANIFESTS' });

    fake.expectImport();
    const direct = importIntoAcr(client, parseAcrResourceId(registryId), { source: { registryUri: source.host, sourceImage: `${repo}@${image.digest}`, credentials: { username: source.username, password: source.password! } }, targetTags: [`${targetRepo}:v1`] }, { timeoutMs: 30_000, pollIntervalMs: 10 });
    await expect(direct).rejects.toMatchObject({ code: 'ARM_OPERATION_FAILED', armCode: 'ManifestLimitExceeded', temporary: false });
    expect(await rawTags(target, targetRepo)).toEqual([]);
  });

  it('retries a 429 after its Retry-After (the SDK pipeline does it) and reports throttling that outlasts the retries as temporary', async () => {
    const { repo, image } = await seed('acr-429', 'v1');
    const targetRepo = uniqueRepo('base/throttle');
    fake.expectImport({ throttle: { times: 1, retryAfterSeconds: 1 } });
    await promoter().promote(request(repo, 'v1', image.digest, targetRepo, ['v1']));
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/importImage')).slice(-2);
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(950);
    expect((await rawGetManifest(target, targetRepo, 'v1'))?.digest).toBe(image.digest);

    const impatient = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca, retry: { maxRetries: 1 } });
    fake.expectImport({ throttle: { times: 2, retryAfterSeconds: 0, only: true } });
    const err = await promoter({ client: impatient }).promote(request(repo, 'v1', image.digest, uniqueRepo('base/throttle2'), ['v1'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmError);
    expect(err).toMatchObject({ code: 'ARM_THROTTLED', temporary: true, status: 429, armCode: 'TooManyRequests', retryAfter: 0 });
  });

  it('reports operation failures, conflicts and timeouts with stable codes', async () => {
    const { repo, image } = await seed('acr-fail', 'v1');
    const registry = parseAcrResourceId(registryId);
    const params = { source: { registryUri: source.host, sourceImage: `${repo}@${image.digest}`, credentials: { username: source.username, password: source.password! } }, targetTags: [`${uniqueRepo('base/fail')}:v1`] };
    const timing = { timeoutMs: 30_000, pollIntervalMs: 10 };

    fake.expectImport({ fail: { code: 'InternalServerError', message: 'backend hiccup' } });
    await expect(importIntoAcr(client, registry, params, timing)).rejects.toMatchObject({ code: 'ARM_OPERATION_FAILED', armCode: 'InternalServerError', temporary: true });

    fake.expectImport({ reject: { status: 409, code: 'Conflict', message: 'Another operation is in progress.' } });
    await expect(importIntoAcr(client, registry, params, timing)).rejects.toMatchObject({ code: 'ARM_CONFLICT', status: 409, armCode: 'Conflict', temporary: false });

    fake.expectImport({ inProgressPolls: 10_000 });
    await expect(importIntoAcr(client, registry, params, { timeoutMs: 300, pollIntervalMs: 20 })).rejects.toMatchObject({ code: 'ARM_TIMEOUT', temporary: true });
  });

  it('rejects a request body that breaks the schema: the check can fail', async () => {
    const registry = parseAcrResourceId(registryId);
    const invalid = { source: { sourceImage: 'repo@sha256:' + '0'.repeat(64) }, targetTags: ['x:y'], mode: 'Sometimes' as 'Force' };
    await expect(importIntoAcr(client, registry, invalid, { timeoutMs: 5_000, pollIntervalMs: 10 })).rejects.toMatchObject({ code: 'ARM_BAD_REQUEST', status: 400 });
    const violations = fake.takeViolations();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/exactly one of resourceId and registryUri/);
    expect(violations[0]).toMatch(/mode/);
  });

  it('is strict: an import nobody expected is a violation, and an untrusted certificate is refused', async () => {
    const registry = parseAcrResourceId(registryId);
    const params = { source: { registryUri: source.host, sourceImage: `unexpected@sha256:${'1'.repeat(64)}` }, targetTags: ['unexpected:v1'] };
    await expect(importIntoAcr(client, registry, params, { timeoutMs: 5_000, pollIntervalMs: 10 })).rejects.toBeInstanceOf(ArmError);
    expect(fake.takeViolations()).toEqual([expect.stringMatching(/^importImage: unexpected call/)]);

    const before = fake.requests.length;
    const untrusting = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, retry: { maxRetries: 0 } });
    await expect(importIntoAcr(untrusting, registry, params, { timeoutMs: 5_000, pollIntervalMs: 10 })).rejects.toMatchObject({ code: 'ARM_UNREACHABLE', temporary: true });
    expect(fake.requests.length).toBe(before);
  });
});
