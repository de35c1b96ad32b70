/**
 * What the target registry really holds, checked independently of basegate's client:
 * - every blob file in the registry's storage (manifests are stored as blobs too) is hashed
 *   and compared with the digest it is stored under: a mismatch is a corruption accepted;
 * - every tag of a repository resolves, through the API with the test-only raw client, to a
 *   manifest whose bytes match its digest and whose children and blobs are all present and
 *   match theirs: anything missing is a partial tag.
 * Storage layout: distribution's registry/storage/paths.go (`blobs/sha256/<2>/<hex>/data`).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACCEPT_MANIFESTS, rawRequest, sha256, type RawTarget } from '../helpers/raw-registry';

/** Blob files already verified, by path, with the size and mtime they had then. */
export type VerifiedFiles = Map<string, string>;

/** Hashes every blob file not verified before (or changed since); returns the ones whose bytes do not match their path's digest. */
export function corruptStoredBlobs(registryDir: string, verified: VerifiedFiles): string[] {
  const root = path.join(registryDir, 'data', 'docker', 'registry', 'v2', 'blobs');
  const bad: string[] = [];
  for (const algorithm of safeList(root)) {
    for (const prefix of safeList(path.join(root, algorithm))) {
      for (const hex of safeList(path.join(root, algorithm, prefix))) {
        const file = path.join(root, algorithm, prefix, hex, 'data');
        let stat: fs.Stats;
        try {
          stat = fs.statSync(file);
        } catch {
          continue; // a blob directory without data yet: not committed
        }
        const stamp = `${stat.size}:${stat.mtimeMs}`;
        if (verified.get(file) === stamp) continue;
        const actual = createHash(algorithm).update(fs.readFileSync(file)).digest('hex');
        if (actual !== hex) bad.push(`${algorithm}:${hex} holds bytes of ${algorithm}:${actual}`);
        else verified.set(file, stamp);
      }
    }
  }
  return bad;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** A tag and the digest it points at. */
export interface TagPointer {
  tag: string;
  digest: string;
}

/** Tags of the repository with their digests, and the problems of each (missing or mismatching content). */
export async function walkRepository(target: RawTarget, repo: string): Promise<{ tags: TagPointer[]; partial: string[] }> {
  const tags: TagPointer[] = [];
  const partial: string[] = [];
  for (const tag of await rawTags(target, repo)) {
    const top = await rawGetManifest(target, repo, tag);
    if (!top) {
      partial.push(`${repo}:${tag} is listed but has no manifest`);
      continue;
    }
    tags.push({ tag, digest: top.digest });
    partial.push(...(await manifestProblems(target, repo, top.bytes, `${repo}:${tag}`)).map((p) => `${repo}:${tag}: ${p}`));
  }
  return { tags, partial };
}

/** GETs with Basic credentials sent up front (half the requests of answering each challenge); undefined on 404. */
async function get(target: RawTarget, repo: string, path: string, accept?: string): Promise<Buffer | undefined> {
  const headers: Record<string, string> = accept ? { accept } : {};
  if (target.username) headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  const res = await rawRequest(target, repo, 'GET', path, { headers });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return res.body;
}

async function rawTags(target: RawTarget, repo: string): Promise<string[]> {
  const body = await get(target, repo, `/v2/${repo}/tags/list`);
  return body ? ((JSON.parse(body.toString()) as { tags: string[] | null }).tags ?? []).sort() : [];
}

async function rawGetManifest(target: RawTarget, repo: string, reference: string): Promise<{ digest: string; bytes: Buffer } | undefined> {
  const bytes = await get(target, repo, `/v2/${repo}/manifests/${reference}`, ACCEPT_MANIFESTS);
  return bytes && { digest: sha256(bytes), bytes };
}

const rawGetBlob = (target: RawTarget, repo: string, digest: string) => get(target, repo, `/v2/${repo}/blobs/${digest}`);

interface Descriptor {
  digest: string;
  size: number;
}

/** Missing or mismatching children and blobs under one manifest. */
async function manifestProblems(target: RawTarget, repo: string, bytes: Buffer, what: string): Promise<string[]> {
  const json = JSON.parse(bytes.toString('utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  const problems: string[] = [];
  for (const child of json.manifests ?? []) {
    const got = await rawGetManifest(target, repo, child.digest);
    if (!got) problems.push(`child ${child.digest} missing`);
    else if (got.digest !== child.digest || got.bytes.length !== child.size) problems.push(`child ${child.digest} served as ${got.digest} (${got.bytes.length} bytes)`);
    else problems.push(...(await manifestProblems(target, repo, got.bytes, `${what}>${child.digest}`)));
  }
  for (const blob of [...(json.config ? [json.config] : []), ...(json.layers ?? [])]) {
    const got = await rawGetBlob(target, repo, blob.digest);
    if (!got) problems.push(`blob ${blob.digest} missing`);
    else if (sha256(got) !== blob.digest || got.length !== blob.size) problems.push(`blob ${blob.digest} served as ${sha256(got)} (${got.length} bytes)`);
  }
  return problems;
}
