/**
 * Tag lists and referrers through RemoteRegistry against the real docker-registry.
 *
 * distribution 2.8 ignores `n` and answers every tag at once, and has no referrers API (404).
 * Pagination is therefore also exercised through the fault proxy, which cuts the registry's
 * real, complete answer into pages exactly as the distribution spec describes ("Listing Tags":
 * lexical order, `n`, `last`, `Link: <...>; rel="next"`).
 */
import { OCI_INDEX, OCI_MANIFEST } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { cosignTags, referrersTag } from '../../functions/oci/registry/referrers';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { pushImage, pushReferrer, synthImage } from '../helpers/image-synth';
import { rawPushManifest } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';

const upstream = () => testEnv().registries.anonymous.host;
const registry = new RemoteRegistry();
let proxy: FaultProxy;
afterAll(async () => {
  await registry.close();
  await proxy?.stop();
});

/** The spec's pagination applied to the registry's complete, real tag list. */
const paginate: FaultRule = {
  method: 'GET',
  path: /\/tags\/list$/,
  transform: (answer, { url }) => {
    const all = ((JSON.parse(answer.body.toString()) as { tags: string[] }).tags ?? []).sort();
    const n = Number(url.searchParams.get('n') ?? all.length);
    const last = url.searchParams.get('last');
    const rest = last === null ? all : all.filter((t) => t > last);
    const page = rest.slice(0, n);
    const headers = { ...answer.headers };
    if (page.length < rest.length) headers.link = `<${url.pathname}?n=${n}&last=${encodeURIComponent(page.at(-1)!)}>; rel="next"`;
    return { headers, body: Buffer.from(JSON.stringify({ name: 'x', tags: page })) };
  },
};

describe('tag list', () => {
  const repo = uniqueRepo('tags');
  const tags = Array.from({ length: 150 }, (_, i) => `t${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: `http://${upstream()}` });
    const image = synthImage({ seed: 'tags', platforms: ['linux/amd64'], layers: 1, layerSize: 64 });
    await pushImage({ host: upstream() }, repo, [], image);
    for (const tag of tags) await rawPushManifest({ host: upstream() }, repo, tag, image.mediaType, image.bytes);
  });
  beforeEach(() => proxy.reset());

  it('reads all 150 tags from a registry that answers in one page', async () => {
    const got = await registry.tagList(parseReference(`${proxy.host}/${repo}:x`), { pageSize: 40 });
    expect([...got].sort()).toEqual(tags);
    expect(proxy.count('GET', /\/tags\/list$/)).toBe(1);
    expect(proxy.log.find((e) => e.path.endsWith('/tags/list'))?.query).toBe('n=40');
  });

  it('follows Link headers through pages of 40', async () => {
    proxy.setRules([paginate]);
    const got = await registry.tagList(parseReference(`${proxy.host}/${repo}:x`), { pageSize: 40 });
    expect(got).toEqual(tags);
    const pages = proxy.log.filter((e) => e.path.endsWith('/tags/list'));
    expect(pages.map((p) => p.query)).toEqual(['n=40', 'n=40&last=t039', 'n=40&last=t079', 'n=40&last=t119']);
  });

  it('answers [] for a repository the registry does not know', async () => {
    expect(await registry.tagList(parseReference(`${proxy.host}/${uniqueRepo('no-such')}:x`))).toEqual([]);
  });
});

describe('referrers', () => {
  const repo = uniqueRepo('referrers');
  const image = synthImage({ seed: 'referrers', platforms: ['linux/amd64'], layers: 1, layerSize: 64 });
  const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
  let signature: { digest: string; bytes: Buffer };
  let sbom: { digest: string; bytes: Buffer };

  beforeAll(async () => {
    proxy ??= await startFaultProxy({ upstream: `http://${upstream()}` });
    const t = { host: upstream() };
    await pushImage(t, repo, ['v1'], image);
    signature = await pushReferrer(t, repo, subject, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', payload: 'sig', fallbackTag: true });
    sbom = await pushReferrer(t, repo, subject, { artifactType: 'application/spdx+json', payload: '{"spdxVersion":"SPDX-2.3"}' });
    // The OCI referrers tag schema: an index of the referrers under `sha256-<hex>`, kept by whoever pushes them.
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: signature.digest, size: signature.bytes.length, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' },
          { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' },
        ],
      }),
    );
    await rawPushManifest(t, repo, referrersTag(image.digest), OCI_INDEX, index);
  });
  beforeEach(() => proxy.reset());

  const pinned = () => parseReference(`${proxy.host}/${repo}@${image.digest}`);

  it('falls back to the referrers tag schema when the API answers 404', async () => {
    const found = await new RemoteRegistry().referrers(pinned());
    expect(found.map((d) => d.digest)).toEqual([signature.digest, sbom.digest]);
    expect(proxy.log.filter((e) => e.path !== '/v2/').map((e) => `${e.method} ${e.status} ${e.path.split('/').slice(-2).join('/')}`)).toEqual([
      `GET 404 referrers/${image.digest}`,
      `GET 200 manifests/${referrersTag(image.digest)}`,
    ]);
  });

  it('remembers a host without the API: the next subject goes straight to the tag schema', async () => {
    const client = new RemoteRegistry();
    await client.referrers(pinned());
    const lonely = synthImage({ seed: 'referrers-remembered', platforms: ['linux/amd64'], layers: 1, layerSize: 32 });
    await pushImage({ host: upstream() }, repo, ['remembered'], lonely);
    proxy.reset();
    expect(await client.referrers(parseReference(`${proxy.host}/${repo}@${lonely.digest}`))).toEqual([]);
    expect(proxy.log.filter((e) => e.path !== '/v2/').map((e) => `${e.method} ${e.status} ${e.path.split('/').slice(-2).join('/')}`)).toEqual([`GET 404 manifests/${referrersTag(lonely.digest)}`]);
  });

  it('asks for the referrers tag only when the tags the caller listed hold it', async () => {
    const client = new RemoteRegistry();
    const without = await client.referrers(pinned(), { tags: new Set(['v1']) });
    expect(without).toEqual([]);
    expect(proxy.count('GET', /\/manifests\//)).toBe(0);
    const listed = await client.referrers(pinned(), { tags: new Set(['v1', referrersTag(image.digest)]) });
    expect(listed.map((d) => d.digest)).toEqual([signature.digest, sbom.digest]);
    expect(proxy.count('GET', /\/manifests\//)).toBe(1);
  });

  it('filters by artifactType and resolves a tag to its digest first', async () => {
    const found = await registry.referrers(parseReference(`${proxy.host}/${repo}:v1`), { artifactType: 'application/spdx+json' });
    expect(found.map((d) => d.digest)).toEqual([sbom.digest]);
  });

  it('answers [] when there is neither API nor tag', async () => {
    const lonely = synthImage({ seed: 'referrers-none', platforms: ['linux/amd64'], layers: 1, layerSize: 32 });
    await pushImage({ host: upstream() }, repo, ['lonely'], lonely);
    expect(await registry.referrers(parseReference(`${proxy.host}/${repo}@${lonely.digest}`))).toEqual([]);
  });

  it('uses the referrers API when the registry has it, and filters when the registry did not', async () => {
    // distribution 2.8 has no referrers API: its answer is replaced by what the spec says a registry answers.
    const listing = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' }, { mediaType: OCI_MANIFEST, digest: signature.digest, size: signature.bytes.length, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }] };
    proxy.setRules([{ method: 'GET', path: /\/referrers\//, respond: { status: 200, headers: { 'content-type': OCI_INDEX }, body: JSON.stringify(listing) } }]);
    const client = new RemoteRegistry(); // one that has not seen this host answer 404
    expect((await client.referrers(pinned())).map((d) => d.digest)).toEqual([sbom.digest, signature.digest]);
    expect((await client.referrers(pinned(), { artifactType: 'application/spdx+json' })).map((d) => d.digest)).toEqual([sbom.digest]);
    expect(proxy.count('GET', /\/manifests\//)).toBe(0);
  });

  it('finds cosign-style tags with HEADs only', async () => {
    const found = await cosignTags(registry, pinned());
    expect(found.map((f) => [f.tag, f.kind, f.info.digest])).toEqual([[`${image.digest.replace(':', '-')}.sig`, 'sig', signature.digest]]);
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(3);
    expect(proxy.count('GET', /\/manifests\//)).toBe(0);
  });
});
