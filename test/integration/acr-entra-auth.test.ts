/**
 * Issue #14, "one Entra login for ACR data planes", against the ACR stand-in
 * (test/servers/acr-stand-in.ts: a real token-auth docker-registry behind a front serving
 * /oauth2/exchange, /oauth2/token and /acr/v1/.../_tags, accepting only Entra tokens of the test
 * authority for the ACR audience):
 * - anonymous and Basic requests are refused (401);
 * - a promotion through ARM importImage, with the data-plane checks (existing tags, referrers,
 *   verification) logged in with the app identity, succeeds, and the immutable tag is locked;
 * - a push to the locked tag is refused;
 * - a CLI `sync` in its own process, using the real @azure/identity chain (`az` stand-in), promotes into it;
 * - the token service saw one exchange per refresh-token lifetime, not one per request.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { AcrEntraLogin } from '../../functions/azure/acr-entra-login';
import { AcrImportPromoter } from '../../functions/azure/acr-import-promoter';
import { AcrDataPlaneTagLock } from '../../functions/azure/acr-tag-lock';
import { createArmClient } from '../../functions/azure/arm-client';
import { createSecretResolver } from '../../functions/azure/secret-resolver';
import { OCI_INDEX } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { runCliChild } from '../helpers/cli-child';
import { pushImage, pushReferrer, synthImage } from '../helpers/image-synth';
import { rawGetManifest, rawPushManifest, rawTags, type RawTarget } from '../helpers/raw-registry';
import { staticCredential } from '../helpers/static-credential';
import { AcrStandIn } from '../servers/acr-stand-in';
import { ArmContractFake } from '../servers/arm-contract-fake';
import { installAzCliStandIn } from '../servers/az-cli-stand-in';
import { startEntraAuthority, type EntraAuthority } from '../servers/entra-authority';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';

const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';

let authority: EntraAuthority;
let acr: AcrStandIn;
let arm: ArmContractFake;
let source: RawTarget;

beforeAll(async () => {
  authority = await startEntraAuthority();
  acr = await AcrStandIn.start({ authority });
  arm = await ArmContractFake.start();
  source = registryLogin('basic');
});

afterEach(() => {
  arm.assertDone();
  acr.assertDone();
});

afterAll(async () => {
  await arm.close();
  await acr.stop();
  await authority.close();
});

/** A data-plane client for the stand-in logged in as the app identity (and Basic to the source registry). */
function dataPlane(login = new AcrEntraLogin({ credential: () => authority.credential(), hosts: { [acr.host]: {} } })): { client: RemoteRegistry; login: AcrEntraLogin } {
  return { client: new RemoteRegistry({ hosts: { [source.host]: { username: source.username!, password: source.password! } }, credentials: login.configuredProvider() }), login };
}

describe('the ACR stand-in refuses what ACR refuses', () => {
  it('answers 401 to anonymous and Basic requests, to the admin login, and to Entra tokens for another audience', async () => {
    const anonymous = await request(`http://${acr.host}/v2/`);
    await anonymous.body.dump();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe(`Bearer realm="http://${acr.host}/oauth2/token",service="${acr.host}"`);

    const basicHeader = `Basic ${Buffer.from(`${source.username}:${source.password}`).toString('base64')}`;
    const basic = await request(`http://${acr.host}/v2/base/any/manifests/v1`, { headers: { authorization: basicHeader } });
    await basic.body.dump();
    expect(basic.statusCode).toBe(401);
    const admin = await request(`http://${acr.host}/oauth2/token?service=${acr.host}&scope=repository:base/any:pull`, { headers: { authorization: basicHeader } });
    await admin.body.dump();
    expect(admin.statusCode).toBe(401);

    // The registry client with Basic credentials gets nowhere either.
    const basicClient = new RemoteRegistry({ hosts: { [acr.host]: { username: 'admin', password: 'secret' } } });
    await expect(basicClient.manifestHead(parseReference(`${acr.host}/base/any:v1`))).rejects.toMatchObject({ status: 401 });
    await basicClient.close();

    // An Entra token for the ARM audience, or a forged one, is not exchanged.
    const arm = await authority.credential().getToken('https://management.azure.com/.default');
    for (const token of [arm!.token, `${arm!.token.slice(0, -4)}AAAA`]) {
      const res = await request(`http://${acr.host}/oauth2/exchange`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'access_token', service: acr.host, access_token: token }).toString() });
      await res.body.dump();
      expect(res.statusCode).toBe(401);
    }
    expect(acr.takeViolations()).toEqual([expect.stringMatching(/audience https:\/\/management.azure.com/), expect.stringMatching(/signature does not verify/)]);
    expect(acr.refusals.map((r) => r.why)).toEqual(expect.arrayContaining(['anonymous', 'basic']));
  });
});

describe('promotion into ACR with the app identity', () => {
  it('imports with pre/post checks and referrers, locks the immutable tag, and a push to it is refused; one exchange for the whole promotion', async () => {
    const repo = uniqueRepo('entra-src');
    const image = synthImage({ seed: repo, layers: 2, layerSize: 2048, platforms: ['linux/amd64', 'linux/arm64'] });
    await pushImage(source, repo, ['v1'], image);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    const signature = await pushReferrer(source, repo, subject, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', payload: 'sig', fallbackTag: true });
    const sbom = await pushReferrer(source, repo, subject, { artifactType: 'application/spdx+json', payload: '{"spdx":true}' });
    const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' }] }));
    await rawPushManifest(source, repo, image.digest.replace(':', '-'), OCI_INDEX, list);

    const registryId = arm.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-base', name: 'contosobase', storage: acr.adminTarget() });
    const client = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(arm.token), endpoint: arm.endpoint, trustedCa: arm.ca });
    const identity = authority.credential();
    const { client: registry, login } = dataPlane(new AcrEntraLogin({ credential: () => identity, hosts: { [acr.host]: {} } }));
    const targetRepo = uniqueRepo('base/entra');
    const immutable = `v1-${image.digest.slice(7, 19)}`;
    const exchangesBefore = acr.count('exchange');
    for (let i = 0; i < 4; i++) arm.expectImport(); // the image, the cosign tag, the SBOM, the moving tag
    try {
      const promoter = new AcrImportPromoter({
        client,
        registry: registryId,
        sourceRegistry: registry,
        targetRegistry: registry,
        credentials: { [source.host]: { username: { value: source.username! }, password: { value: source.password! } } },
        resolveSecret: createSecretResolver(),
        tagLock: new AcrDataPlaneTagLock({ loginServer: acr.host, registry }), pollIntervalMs: 10 });
      const result = await promoter.promote({ source: parseReference(`${source.host}/${repo}:v1@${image.digest}`), target: parseReference(`${acr.host}/${targetRepo}`, { defaultTag: false }), tags: ['v1', immutable] });

      expect(result).toMatchObject({ digest: image.digest, referrers: 2, manifests: 3 });
      const admin = acr.adminTarget();
      expect(await rawTags(admin, targetRepo)).toEqual(['v1', immutable, `${image.digest.replace(':', '-')}.sig`].sort());
      expect((await rawGetManifest(admin, targetRepo, sbom.digest))?.digest).toBe(sbom.digest);
      expect((await rawGetManifest(admin, targetRepo, signature.digest))?.digest).toBe(signature.digest);
      expect(acr.metadata.attributes(targetRepo, immutable)).toMatchObject({ writeEnabled: false, deleteEnabled: false });
      expect(acr.metadata.attributes(targetRepo, 'v1')).toBeUndefined();
      // The app identity asked Entra for the ACR audience only, and the pre/post checks ran as that identity.
      expect(new Set(identity.scopes)).toEqual(new Set(['https://containerregistry.azure.net/.default']));
      expect(acr.tokens.calls.filter((c) => c.endpoint === 'token' && c.ok).flatMap((c) => c.scopes)).toEqual(expect.arrayContaining([`repository:${targetRepo}:pull`, `repository:${targetRepo}:metadata_write`]));
      expect(acr.count('exchange') - exchangesBefore).toBe(1);
      expect(login.exchanges).toBe(1);

      // A push to the locked tag is refused, and the tag still points at the promoted digest.
      const other = synthImage({ seed: `${repo}-other`, layers: 1, layerSize: 256 });
      await pushImage(admin, targetRepo, [], other);
      await expect(registry.manifestPut(parseReference(`${acr.host}/${targetRepo}:${immutable}`), { mediaType: other.mediaType, bytes: other.bytes })).rejects.toMatchObject({ status: 405, code: 'UNSUPPORTED' });
      expect(acr.refusals.at(-1)).toMatchObject({ method: 'PUT', why: `locked ${targetRepo}:${immutable}` });
      expect((await registry.manifestHead(parseReference(`${acr.host}/${targetRepo}:${immutable}`)))?.digest).toBe(image.digest);
      // The moving tag is not locked: it can still move.
      await registry.manifestPut(parseReference(`${acr.host}/${targetRepo}:v1`), { mediaType: other.mediaType, bytes: other.bytes });
    } finally {
      await registry.close();
    }
  });

  it('exchanges once per refresh-token lifetime, and fetches an access token once per scope', async () => {
    const repos = [uniqueRepo('entra-life'), uniqueRepo('entra-life')];
    const image = synthImage({ seed: repos[0], layers: 1, layerSize: 128 });
    for (const r of repos) await pushImage(acr.adminTarget(), r, ['v1'], image);
    let now = Date.now();
    const { client, login } = dataPlane(new AcrEntraLogin({ credential: () => authority.credential(), hosts: { [acr.host]: {} }, now: () => now }));
    const tokensBefore = acr.count('token');
    try {
      for (let i = 0; i < 5; i++) expect((await client.manifestHead(parseReference(`${acr.host}/${repos[0]}:v1`)))?.digest).toBe(image.digest);
      expect(login.exchanges).toBe(1);
      expect(acr.count('token') - tokensBefore).toBe(1);
      // Past the refresh token's exp (3 h in the stand-in): a new scope needs a token, and the login exchanges again.
      now += 3 * 3600_000;
      expect((await client.manifestHead(parseReference(`${acr.host}/${repos[1]}:v1`)))?.digest).toBe(image.digest);
      expect(login.exchanges).toBe(2);
      expect(acr.count('token') - tokensBefore).toBe(2);
    } finally {
      await client.close();
    }
  });
});

describe('the CLI against ACR, with the real @azure/identity chain', () => {
  it('syncs into the stand-in as the az-logged-in user (auth: azure), one exchange for the run', async () => {
    const upstream = { host: testEnv().registries.anonymous.host };
    const repo = uniqueRepo('entra-cli');
    const image = synthImage({ seed: repo, layers: 2 });
    await pushImage(upstream, repo, ['1.0'], image);
    const targetRepo = uniqueRepo('base/cli');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-entra-cli-'));
    const az = installAzCliStandIn(authority);
    try {
      const config = path.join(dir, 'basegate.yaml');
      fs.writeFileSync(config, [`registries:`, `  "${acr.host}":`, `    auth: azure`, `target:`, `  registry: "${acr.host}"`, `images:`, `  - source: ${upstream.host}/${repo}`, `    tags: ["1.0"]`, `    repository: ${targetRepo}`].join('\n'));
      const exchangesBefore = acr.count('exchange');
      const issuedBefore = authority.issued.length;

      const run = await runCliChild(['sync', '--config', config, '--json'], az.env);

      expect(run.stderr).toContain('promoted');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).totals.promoted).toBe(1);
      expect((await rawGetManifest(acr.adminTarget(), targetRepo, '1.0'))?.digest).toBe(image.digest);
      expect(az.calls()).toEqual([expect.arrayContaining(['account', 'get-access-token', '--resource', 'https://containerregistry.azure.net'])]);
      expect(authority.issued.slice(issuedBefore)).toEqual([{ audience: 'https://containerregistry.azure.net', oid: authority.client.oid, via: 'http' }]);
      expect(acr.count('exchange') - exchangesBefore).toBe(1);
    } finally {
      az.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
