/**
 * The layout counterparts of target-check.ts, read straight from the files basegate wrote
 * (image-spec image-layout.md: each repository is a layout with `index.json` and
 * `blobs/<alg>/<hex>`; tags are `org.opencontainers.image.ref.name` annotations):
 * - every blob file hashes to its name (a killed writer must leave no partial file there);
 * - every tag's manifest, its children and blobs are present and match their digests.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TagPointer, VerifiedFiles } from './target-check';

const REF_NAME = 'org.opencontainers.image.ref.name';

/** Blob files under `root` (any depth of repositories) whose bytes do not match their name. */
export function corruptLayoutBlobs(root: string, verified: VerifiedFiles): string[] {
  const bad: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of safeList(dir)) {
      if (!entry.isDirectory() || entry.name === '.tmp') continue;
      const full = path.join(dir, entry.name);
      if (entry.name !== 'blobs') {
        visit(full);
        continue;
      }
      for (const algorithm of safeList(full).filter((e) => e.isDirectory())) {
        for (const file of safeList(path.join(full, algorithm.name)).filter((e) => e.isFile())) {
          const at = path.join(full, algorithm.name, file.name);
          const stat = fs.statSync(at);
          const stamp = `${stat.size}:${stat.mtimeMs}`;
          if (verified.get(at) === stamp) continue;
          const actual = createHash(algorithm.name).update(fs.readFileSync(at)).digest('hex');
          if (actual !== file.name) bad.push(`${path.relative(root, at)} holds bytes of ${algorithm.name}:${actual}`);
          else verified.set(at, stamp);
        }
      }
    }
  };
  visit(root);
  return bad;
}

function safeList(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

interface Descriptor {
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Tags of one repository's layout with their digests, and what is missing or wrong under each. */
export function walkLayoutRepository(root: string, repo: string): { tags: TagPointer[]; partial: string[] } {
  const dir = path.join(root, ...repo.split('/'));
  const tags: TagPointer[] = [];
  const partial: string[] = [];
  let index: { manifests?: Descriptor[] };
  try {
    index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tags, partial };
    return { tags, partial: [`${repo}: index.json is unreadable (${(err as Error).message})`] };
  }
  /** The verified bytes of a blob, or what is wrong with it. */
  const blob = (d: Descriptor): Buffer | 'missing' | 'mismatch' => {
    const [algorithm, hex] = d.digest.split(':');
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(dir, 'blobs', algorithm, hex));
    } catch {
      return 'missing';
    }
    return createHash(algorithm).update(bytes).digest('hex') === hex && bytes.length === d.size ? bytes : 'mismatch';
  };
  const check = (d: Descriptor, what: string, manifest: boolean): void => {
    const bytes = blob(d);
    if (bytes === 'missing') return void partial.push(`${what}: ${d.digest} missing`);
    if (bytes === 'mismatch') return void partial.push(`${what}: ${d.digest} does not match its bytes or size`);
    if (!manifest) return;
    const json = JSON.parse(bytes.toString('utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    for (const child of json.manifests ?? []) check(child, `${what}>${child.digest}`, true);
    for (const b of [...(json.config ? [json.config] : []), ...(json.layers ?? [])]) check(b, `${what} blob`, false);
  };
  for (const entry of index.manifests ?? []) {
    const tag = entry.annotations?.[REF_NAME];
    if (tag === undefined) continue;
    tags.push({ tag, digest: entry.digest });
    check(entry, `${repo}:${tag}`, true);
  }
  return { tags, partial };
}
