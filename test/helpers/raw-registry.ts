/**
 * A minimal Distribution API client for test set-up only (seeding and inspecting registries),
 * kept apart from the client under test so that a bug there cannot hide itself in the fixtures.
 * Handles anonymous, Basic and Bearer-token registries in the simplest way (no caching).
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';

export interface RawTarget {
  host: string;
  username?: string;
  password?: string;
  /** A registry token for `repo` made by whoever stands for the registry (the ACR stand-in's own server-side access), instead of asking the realm. */
  token?: (repo: string) => Promise<string>;
}

async function authHeader(target: RawTarget, repo: string, challenge: string | undefined): Promise<string | undefined> {
  if (!challenge) return undefined;
  if (target.token) return `Bearer ${await target.token(repo)}`;
  if (challenge.startsWith('Basic')) {
    return `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  }
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const url = new URL(params.realm);
  url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${repo}:pull,push,delete`);
  const headers: Record<string, string> = {};
  if (target.username) headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  const res = await request(url, { headers });
  const body = (await res.body.json()) as { token: string };
  return `Bearer ${body.token}`;
}

/** Sends one request, answering an auth challenge once. */
export async function rawRequest(
  target: RawTarget,
  repo: string,
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE',
  pathOrUrl: string,
  options: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `http://${target.host}${pathOrUrl}`;
  let auth: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = { ...(options.headers ?? {}), ...(auth ? { authorization: auth } : {}) };
    const res = await request(url, { method, headers, body: options.body });
    const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer());
    if (method === 'HEAD') await res.body.dump();
    if (res.statusCode === 401 && attempt === 0) {
      auth = await authHeader(target, repo, res.headers['www-authenticate'] as string | undefined);
      continue;
    }
    return { status: res.statusCode, headers: res.headers, body };
  }
  throw new Error('unreachable');
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Uploads a blob monolithically (POST then PUT ?digest=). */
export async function rawPushBlob(target: RawTarget, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const head = await rawRequest(target, repo, 'HEAD', `/v2/${repo}/blobs/${digest}`);
  if (head.status === 200) return digest;
  const start = await rawRequest(target, repo, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start ${start.status}: ${start.body}`);
  const location = new URL(start.headers.location as string, `http://${target.host}`);
  location.searchParams.set('digest', digest);
  const put = await rawRequest(target, repo, 'PUT', location.toString(), {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`upload ${put.status}: ${put.body}`);
  return digest;
}

export async function rawPushManifest(target: RawTarget, repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
  const res = await rawRequest(target, repo, 'PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: bytes });
  if (res.status !== 201) throw new Error(`manifest put ${res.status}: ${res.body}`);
  return sha256(bytes);
}

/** Every manifest media type, for Accept headers. */
export const ACCEPT_MANIFESTS = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Fetches a manifest; undefined on 404. */
export async function rawGetManifest(target: RawTarget, repo: string, reference: string): Promise<{ digest: string; mediaType: string; bytes: Buffer } | undefined> {
  const res = await rawRequest(target, repo, 'GET', `/v2/${repo}/manifests/${reference}`, { headers: { accept: ACCEPT_MANIFESTS } });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`manifest get ${res.status}: ${res.body}`);
  return { digest: sha256(res.body), mediaType: String(res.headers['content-type']), bytes: res.body };
}

/** Fetches a blob's bytes; undefined on 404. */
export async function rawGetBlob(target: RawTarget, repo: string, digest: string): Promise<Buffer | undefined> {
  const res = await rawRequest(target, repo, 'GET', `/v2/${repo}/blobs/${digest}`);
  if (res.status === 404) return undefined;
  if (res.status === 307 || res.status === 302) throw new Error('redirected blob: not expected of the local registry');
  if (res.status !== 200) throw new Error(`blob get ${res.status}`);
  return res.body;
}

export async function rawTags(target: RawTarget, repo: string): Promise<string[]> {
  const res = await rawRequest(target, repo, 'GET', `/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  return ((JSON.parse(res.body.toString()) as { tags: string[] | null }).tags ?? []).sort();
}
