/**
 * Image references, parsed once at the edge and passed around as immutable values.
 *
 * The rules follow docker's reference grammar (distribution/reference):
 * - `[registry/]repository[:tag][@digest]`. The first path component is a registry when it
 *   contains a `.` or a `:`, or is `localhost`; otherwise the registry is Docker Hub.
 * - Docker Hub is named `docker.io` (also written `index.docker.io`), and its API is reached
 *   at `registry-1.docker.io`. A one-component Docker Hub repository lives under `library/`
 *   (`node` → `docker.io/library/node`).
 * - Repository components are lowercase `[a-z0-9]+` joined by `.`, `_`, `__` or dashes; the
 *   whole name is at most 255 characters. Tags are `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
 * - Without tag and digest the tag is `latest` (unless the caller asks for a bare repository).
 * - Digests are `sha256:<64 hex>` or `sha512:<128 hex>`; other algorithms are refused.
 * - Credentials in a reference (`user:pass@host/repo`) are refused: they belong in config.
 *
 * A second scheme names a repository inside an OCI image layout directory:
 * `oci:<dir>//<repository>[:tag][@digest]`; each repository is its own layout under `<dir>`.
 */
import * as path from 'node:path';
import { InvalidReferenceError } from '../errors';

export type RefScheme = 'registry' | 'layout';

export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API host: `docker.io` itself serves no registry API. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
export const DEFAULT_TAG = 'latest';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const MAX_NAME = 255;
const LAYOUT_PREFIX = 'oci:';

/** An immutable, normalised image reference. */
export class ImageRef {
  private constructor(
    readonly scheme: RefScheme,
    /** Registry host (`docker.io`, `ghcr.io`, `127.0.0.1:5000`) or, for a layout, its absolute directory. */
    readonly registry: string,
    readonly repository: string,
    readonly tag: string | undefined,
    readonly digest: string | undefined,
  ) {}

  /** Builds a reference from parts, validating each one. */
  static of(parts: { scheme?: RefScheme; registry: string; repository: string; tag?: string; digest?: string }): ImageRef {
    const scheme = parts.scheme ?? 'registry';
    const input = `${parts.registry}/${parts.repository}`;
    const registry = scheme === 'layout' ? path.resolve(parts.registry) : normaliseRegistry(parts.registry, input);
    const repository = normaliseRepository(registry, parts.repository, input, scheme);
    if (parts.tag !== undefined) checkTag(parts.tag, input);
    if (parts.digest !== undefined) checkDigest(parts.digest, input);
    return new ImageRef(scheme, registry, repository, parts.tag, parts.digest);
  }

  /** The host to open connections to (Docker Hub's API host differs from its name). */
  get host(): string {
    return this.registry === DOCKER_HUB ? DOCKER_HUB_API : this.registry;
  }

  /** The digest when pinned, else the tag: what goes in `/v2/<name>/manifests/<reference>`. */
  get identifier(): string {
    const id = this.digest ?? this.tag;
    if (id === undefined) throw new InvalidReferenceError(this.toString(), 'needs a tag or a digest here');
    return id;
  }

  /** `registry/repository` without tag or digest. */
  get name(): string {
    return this.scheme === 'layout' ? `${LAYOUT_PREFIX}${this.registry}//${this.repository}` : `${this.registry}/${this.repository}`;
  }

  withDigest(digest: string): ImageRef {
    checkDigest(digest, this.toString());
    return new ImageRef(this.scheme, this.registry, this.repository, this.tag, digest);
  }

  withTag(tag: string | undefined): ImageRef {
    if (tag !== undefined) checkTag(tag, this.toString());
    return new ImageRef(this.scheme, this.registry, this.repository, tag, this.digest);
  }

  /** The same registry with another repository, no tag, no digest. */
  withRepository(repository: string): ImageRef {
    return ImageRef.of({ scheme: this.scheme, registry: this.registry, repository });
  }

  /** Only the digest identifies the content: drops the tag. Throws when there is no digest. */
  pinned(): ImageRef {
    if (!this.digest) throw new InvalidReferenceError(this.toString(), 'is not pinned to a digest');
    return new ImageRef(this.scheme, this.registry, this.repository, undefined, this.digest);
  }

  equals(other: ImageRef): boolean {
    return this.toString() === other.toString();
  }

  /** Canonical form: `docker.io/library/node:20-alpine@sha256:...`. */
  toString(): string {
    return `${this.name}${this.tag !== undefined ? `:${this.tag}` : ''}${this.digest !== undefined ? `@${this.digest}` : ''}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Options of {@link parseReference}. */
export interface ParseOptions {
  /** Fill in `latest` when neither tag nor digest is given (docker's behaviour). Default true. */
  defaultTag?: boolean;
}

/** Parses any reference form docker accepts (plus `oci:<dir>//<repo>`) into a normalised {@link ImageRef}. */
export function parseReference(input: string, options: ParseOptions = {}): ImageRef {
  if (typeof input !== 'string' || input.length === 0) throw new InvalidReferenceError(String(input), 'is empty');
  if (input.trim() !== input || /\s/.test(input)) throw new InvalidReferenceError(input, 'contains white space');
  if (input.length > 4096) throw new InvalidReferenceError(input, 'is longer than 4096 characters');
  if (input.startsWith(LAYOUT_PREFIX)) return parseLayout(input, options);
  if (input.includes('://')) throw new InvalidReferenceError(input, 'must not carry a URL scheme (write host/repository:tag)');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    // `user:pass@host/repo`, or a password with an `@` in it: the part after the first `@` is no digest, and is not echoed.
    if (/[/@]/.test(rest.slice(at + 1))) throw new InvalidReferenceError(input, 'must not embed credentials (put them in the registries section of the config)');
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(digest, input);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    checkTag(tag, input);
  }

  const slash = rest.indexOf('/');
  let registry = DOCKER_HUB;
  let repository = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  registry = normaliseRegistry(registry, input);
  repository = normaliseRepository(registry, repository, input, 'registry');
  if (tag === undefined && digest === undefined && options.defaultTag !== false) tag = DEFAULT_TAG;
  return ImageRef.of({ registry, repository, tag, digest });
}

/** Parses `oci:<dir>//<repository>[:tag][@digest]`. */
function parseLayout(input: string, options: ParseOptions): ImageRef {
  const body = input.slice(LAYOUT_PREFIX.length);
  const split = body.lastIndexOf('//');
  if (split <= 0) throw new InvalidReferenceError(input, 'a layout reference is oci:<dir>//<repository>[:tag][@digest]');
  const dir = body.slice(0, split);
  let rest = body.slice(split + 2);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (tag === undefined && digest === undefined && options.defaultTag !== false) tag = DEFAULT_TAG;
  return ImageRef.of({ scheme: 'layout', registry: dir, repository: rest, tag, digest });
}

function normaliseRegistry(registry: string, input: string): string {
  if (registry.includes('@')) throw new InvalidReferenceError(input, 'must not embed credentials (put them in the registries section of the config)');
  if (!HOST.test(registry)) throw new InvalidReferenceError(input, `registry ${JSON.stringify(registry)} is not a host[:port]`);
  const port = /:(\d+)$/.exec(registry)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new InvalidReferenceError(input, `port ${port} is out of range`);
  const lower = registry.toLowerCase();
  if (lower === 'index.docker.io' || lower === DOCKER_HUB_API) return DOCKER_HUB;
  return lower;
}

function normaliseRepository(registry: string, repository: string, input: string, scheme: RefScheme): string {
  if (repository.length === 0) throw new InvalidReferenceError(input, 'has no repository');
  const components = repository.split('/');
  for (const c of components) {
    if (c === '..' || c === '.') throw new InvalidReferenceError(input, 'repository must not contain path traversal (. or ..)');
    if (c.length === 0) throw new InvalidReferenceError(input, 'repository has an empty path component');
    if (c !== c.toLowerCase() && COMPONENT.test(c.toLowerCase())) throw new InvalidReferenceError(input, 'repository must be lowercase');
    if (!COMPONENT.test(c)) throw new InvalidReferenceError(input, `repository component ${JSON.stringify(c)} must match [a-z0-9]+ separated by ".", "_", "__" or "-"`);
  }
  const normalised = scheme === 'registry' && registry === DOCKER_HUB && components.length === 1 ? `library/${repository}` : repository;
  if (normalised.length + (scheme === 'registry' ? registry.length + 1 : 0) > MAX_NAME) {
    throw new InvalidReferenceError(input, `name is longer than ${MAX_NAME} characters`);
  }
  return normalised;
}

function checkTag(tag: string, input: string): void {
  if (!TAG.test(tag)) throw new InvalidReferenceError(input, `tag ${JSON.stringify(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
}

function checkDigest(digest: string, input: string): void {
  if (DIGEST.test(digest)) return;
  const algorithm = digest.split(':')[0];
  if (digest.includes(':') && algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new InvalidReferenceError(input, `digest algorithm ${JSON.stringify(algorithm)} is not supported (sha256 or sha512)`);
  }
  throw new InvalidReferenceError(input, `digest ${JSON.stringify(digest)} must be sha256:<64 hex> or sha512:<128 hex>`);
}

/** True when the string is a well-formed sha256 or sha512 digest. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}
