/**
 * Seeds the detect benchmark's registry quickly: one tiny multi-arch image per repository,
 * then one index per tag (the same children, an annotation naming the tag, so every tag has
 * its own digest) put by tag, with one push token per repository instead of a challenge per request.
 */
import { request } from 'undici';
import { mapLimit } from '../functions/map-limit';
import { pushImage, synthImage } from '../test/helpers/image-synth';
import { sha256 } from '../test/helpers/raw-registry';
import type { RegistryServer } from '../test/servers/registry-server';

export interface SeededTags {
  repos: Array<{ repo: string; tags: string[] }>;
  /** Digest of each `repo:tag`. */
  digests: Map<string, string>;
}

async function pushToken(registry: RegistryServer, repo: string): Promise<string | undefined> {
  const issuer = registry.tokenIssuer;
  if (!issuer) return undefined; // an anonymous registry
  const [user, password] = Object.entries(registry.users)[0];
  const url = new URL(issuer.realm);
  url.searchParams.set('service', issuer.service);
  url.searchParams.set('scope', `repository:${repo}:pull,push`);
  const res = await request(url, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  if (res.statusCode !== 200) throw new Error(`push token for ${repo}: ${res.statusCode} ${await res.body.text()}`);
  return ((await res.body.json()) as { token: string }).token;
}

/** Pushes `repoCount` repositories of `tagsPerRepo` tags each under `PREFIX-NN` (default `bench/repo`; token auth or anonymous). */
export async function seedTags(registry: RegistryServer, repoCount: number, tagsPerRepo: number, prefix = 'bench/repo'): Promise<SeededTags> {
  const [username, password] = Object.entries(registry.users)[0] ?? [];
  const raw = { host: registry.host, username, password };
  const width = String(repoCount - 1).length < 2 ? 2 : String(repoCount - 1).length;
  const repos = Array.from({ length: repoCount }, (_, r) => ({
    repo: `${prefix}-${String(r).padStart(width, '0')}`,
    tags: Array.from({ length: tagsPerRepo }, (_, t) => `t${String(t).padStart(3, '0')}`),
  }));
  const digests = new Map<string, string>();
  await mapLimit(repos, 4, async ({ repo, tags }) => {
    const image = synthImage({ seed: repo, layers: 1, layerSize: 256 });
    await pushImage(raw, repo, [], image);
    const index = JSON.parse(image.bytes.toString()) as Record<string, unknown>;
    const token = await pushToken(registry, repo);
    await mapLimit(tags, 8, async (tag) => {
      const bytes = Buffer.from(JSON.stringify({ ...index, annotations: { 'org.example.bench.tag': tag } }));
      const res = await request(`http://${registry.host}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': image.mediaType },
        body: bytes,
      });
      await res.body.dump();
      if (res.statusCode !== 201) throw new Error(`seeding ${repo}:${tag}: manifest PUT answered ${res.statusCode}`);
      digests.set(`${repo}:${tag}`, sha256(bytes));
    });
  });
  return { repos, digests };
}
