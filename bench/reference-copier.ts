/**
 * The bare reference copier of `npm run bench:sync` (issue #20): the least work a client can do
 * to mirror the benchmark's tags, so its time shows the floor the registries leave on this
 * machine. Plain `node:http` with keep-alive, 8 requests in flight, no verification, no mounts,
 * no retries, no state, anonymous registries only:
 *
 * 1. GET every tag's manifest (an index) and its child manifests from the upstream;
 * 2. per target repository and blob: HEAD the target blob; when missing, GET it from the
 *    upstream and stream it into a POST + monolithic `PUT ?digest=` (Distribution API, "pushing
 *    a blob monolithically": https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs);
 * 3. PUT the child manifests by digest, then 4. the tags.
 *
 * Run as a process: `node -r test/helpers/ts-register.cjs bench/reference-copier.ts JOB.json`,
 * with JOB = { upstream: "127.0.0.1:P", target: "127.0.0.1:Q", images: [{ source, target, tags }] }.
 * Not a product: anything unexpected throws and the process exits 1.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { mapLimit } from '../functions/map-limit';

interface Job {
  upstream: string;
  target: string;
  images: Array<{ source: string; target: string; tags: string[] }>;
}

interface Manifest {
  repo: string;
  reference: string;
  mediaType: string;
  bytes: Buffer;
}

const IN_FLIGHT = 8;
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT * 2 });

function call(host: string, method: string, path: string, headers: http.OutgoingHttpHeaders = {}, body?: Buffer | http.IncomingMessage): Promise<http.IncomingMessage> {
  const [hostname, port] = host.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port: Number(port), method, path, headers, agent }, resolve);
    req.once('error', reject);
    if (body instanceof http.IncomingMessage) {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    } else req.end(body);
  });
}

async function read(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function expect(res: http.IncomingMessage, status: number, what: string): Promise<Buffer> {
  const body = await read(res);
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} (expected ${status}) ${body.toString().slice(0, 200)}`);
  return body;
}

async function getManifest(host: string, repo: string, reference: string): Promise<Manifest> {
  const res = await call(host, 'GET', `/v2/${repo}/manifests/${reference}`, { accept: ACCEPT });
  const bytes = await expect(res, 200, `GET ${repo}:${reference}`);
  return { repo, reference, mediaType: String(res.headers['content-type']), bytes };
}

async function copyBlob(job: Job, sourceRepo: string, targetRepo: string, digest: string, size: number): Promise<void> {
  const head = await call(job.target, 'HEAD', `/v2/${targetRepo}/blobs/${digest}`);
  await read(head);
  if (head.statusCode === 200) return;
  const post = await call(job.target, 'POST', `/v2/${targetRepo}/blobs/uploads/`, { 'content-length': 0 });
  await expect(post, 202, `POST upload ${targetRepo}`);
  const location = new URL(String(post.headers.location), `http://${job.target}`);
  location.searchParams.set('digest', digest);
  const source = await call(job.upstream, 'GET', `/v2/${sourceRepo}/blobs/${digest}`);
  if (source.statusCode !== 200) throw new Error(`GET blob ${digest}: ${source.statusCode}`);
  const put = await call(job.target, 'PUT', location.pathname + location.search, { 'content-type': 'application/octet-stream', 'content-length': size }, source);
  await expect(put, 201, `PUT blob ${digest} into ${targetRepo}`);
}

async function putManifest(host: string, repo: string, reference: string, m: Manifest): Promise<void> {
  const res = await call(host, 'PUT', `/v2/${repo}/manifests/${reference}`, { 'content-type': m.mediaType, 'content-length': m.bytes.length }, m.bytes);
  await expect(res, 201, `PUT manifest ${repo}:${reference}`);
}

async function main(job: Job): Promise<void> {
  const tags = job.images.flatMap((image) => image.tags.map((tag) => ({ image, tag })));
  // 1. Manifests: each tag's index, then its children (by digest, each once per repository).
  const indexes = await mapLimit(tags, IN_FLIGHT, ({ image, tag }) => getManifest(job.upstream, image.source, tag));
  const children = new Map<string, { image: Job['images'][number]; digest: string }>();
  indexes.forEach((index, i) => {
    const parsed = JSON.parse(index.bytes.toString()) as { manifests?: Array<{ digest: string }> };
    for (const { digest } of parsed.manifests ?? []) children.set(`${tags[i].image.target}@${digest}`, { image: tags[i].image, digest });
  });
  const childManifests = await mapLimit([...children.values()], IN_FLIGHT, async ({ image, digest }) => ({ image, manifest: await getManifest(job.upstream, image.source, digest) }));
  // 2. Blobs, each once per target repository.
  const blobs = new Map<string, { source: string; target: string; digest: string; size: number }>();
  for (const { image, manifest } of childManifests) {
    const parsed = JSON.parse(manifest.bytes.toString()) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
    for (const d of [parsed.config, ...parsed.layers]) blobs.set(`${image.target}@${d.digest}`, { source: image.source, target: image.target, digest: d.digest, size: d.size });
  }
  await mapLimit([...blobs.values()], IN_FLIGHT, (b) => copyBlob(job, b.source, b.target, b.digest, b.size));
  // 3. Child manifests by digest, 4. the tags.
  await mapLimit(childManifests, IN_FLIGHT, ({ image, manifest }) => putManifest(job.target, image.target, manifest.reference, manifest));
  await mapLimit(indexes, IN_FLIGHT, (index, i) => putManifest(job.target, tags[i].image.target, tags[i].tag, index));
  agent.destroy();
}

main(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Job).catch((err: unknown) => {
  process.stderr.write(`reference-copier: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
