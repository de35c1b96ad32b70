/**
 * The tag metadata API of the ACR stand-in (acr-stand-in.ts), after the ACR data-plane spec
 * 2021-07-01 (Azure/azure-rest-api-specs specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01:
 * ContainerRegistry_GetTags, ContainerRegistry_GetTagProperties, ContainerRegistry_UpdateTagAttributes;
 * definitions TagList, TagAttributes, TagAttributesBase, TagChangeableAttributes):
 *
 * - `GET /acr/v1/{name}/_tags[?n=&last=]` (`metadata_read`) → `{ registry, imageName, tags: [{ name, digest, createdTime, lastUpdateTime, signed, changeableAttributes }] }`,
 *   with `Link: </acr/v1/{name}/_tags?last=..&n=..>; rel="next"` when there are more;
 * - `GET /acr/v1/{name}/_tags/{reference}` (`metadata_read`) → `{ registry, imageName, tag: {...} }`;
 * - `PATCH /acr/v1/{name}/_tags/{reference}` (`metadata_write`) with changeable attributes
 *   (`deleteEnabled`, `writeEnabled`, `listEnabled`, `readEnabled`, booleans only) → the same.
 * Without a token granting the action: 401 with a Bearer challenge naming the scope. An unknown
 * tag: 404 `TAG_UNKNOWN`.
 */
import { rawRequest, type RawTarget } from '../helpers/raw-registry';
import { ACCEPT_MANIFESTS } from '../helpers/raw-registry';
import type { AcrTokenService } from './acr-token-service';

const CHANGEABLE = ['deleteEnabled', 'writeEnabled', 'listEnabled', 'readEnabled'] as const;
type Attributes = Record<(typeof CHANGEABLE)[number], boolean>;

/** What a metadata route answers; `violation` when the request broke the contract. */
export interface MetadataReply {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
  violation?: string;
}

export class AcrTagMetadata {
  /** `repo:tag` → the digest it had when its attributes were set, and the attributes. */
  private readonly tags = new Map<string, { digest: string; attributes: Attributes; created: string }>();

  constructor(
    private readonly loginServer: string,
    private readonly tokens: AcrTokenService,
    /** Direct read access to the registry behind the front. */
    private readonly registry: RawTarget,
  ) {}

  /** The attributes set on `repository:tag`, if any were. */
  attributes(repository: string, tag: string): Attributes | undefined {
    return this.tags.get(`${repository}:${tag}`)?.attributes;
  }

  /** The tag, when `reference` is a tag whose writes are disabled. */
  writeLocked(repository: string, reference: string): string | undefined {
    return this.tags.get(`${repository}:${reference}`)?.attributes.writeEnabled === false ? reference : undefined;
  }

  /** The locked tag that forbids deleting `reference` (a tag, or a digest a locked tag points at). */
  async deleteLocked(repository: string, reference: string): Promise<string | undefined> {
    for (const [key, entry] of this.tags) {
      const [repo, tag] = [key.slice(0, key.lastIndexOf(':')), key.slice(key.lastIndexOf(':') + 1)];
      if (repo !== repository || entry.attributes.deleteEnabled) continue;
      if (tag === reference || entry.digest === reference) return tag;
    }
    return undefined;
  }

  async handle(method: string, repository: string, tag: string | undefined, token: string | undefined, body: Buffer, query: URLSearchParams): Promise<MetadataReply> {
    const action = method === 'PATCH' ? 'metadata_write' : 'metadata_read';
    if (method !== 'GET' && !(method === 'PATCH' && tag !== undefined)) return { status: 405, json: errors('UNSUPPORTED', `${method} is not supported here`), violation: `_tags: ${method} ${repository} ${tag ?? ''}` };
    const granted = token === undefined ? 'no token' : this.tokens.actionsOn(token, repository);
    if (typeof granted === 'string' || !granted.includes(action)) {
      return {
        status: 401,
        json: errors('UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.'),
        headers: { 'www-authenticate': `Bearer realm="http://${this.loginServer}/oauth2/token",service="${this.loginServer}",scope="repository:${repository}:${action}"` },
      };
    }
    if (tag === undefined) return this.list(repository, query);
    const digest = await this.digestOf(repository, tag);
    if (!digest) return { status: 404, json: errors('TAG_UNKNOWN', `the specified tag ${tag} does not exist`) };
    const entry = this.tags.get(`${repository}:${tag}`) ?? { digest, attributes: { deleteEnabled: true, writeEnabled: true, listEnabled: true, readEnabled: true }, created: new Date().toISOString() };
    if (method === 'PATCH') {
      let changes: unknown;
      try {
        changes = JSON.parse(body.toString('utf8'));
      } catch {
        changes = undefined;
      }
      const bad = changes && typeof changes === 'object' ? Object.entries(changes).filter(([k, v]) => !(CHANGEABLE as readonly string[]).includes(k) || typeof v !== 'boolean') : [['body', changes]];
      if (bad.length > 0) return { status: 400, json: errors('BAD_REQUEST', 'invalid changeable attributes'), violation: `_tags PATCH ${repository}:${tag}: invalid body ${body.toString('utf8')}` };
      entry.attributes = { ...entry.attributes, ...(changes as Partial<Attributes>) };
      entry.digest = digest;
      this.tags.set(`${repository}:${tag}`, entry);
    }
    return { status: 200, json: { registry: this.loginServer, imageName: repository, tag: this.tagJson(tag, entry) } };
  }

  private async list(repository: string, query: URLSearchParams): Promise<MetadataReply> {
    const res = await rawRequest(this.registry, repository, 'GET', `/v2/${repository}/tags/list`);
    if (res.status === 404) return { status: 404, json: errors('NAME_UNKNOWN', `repository ${repository} is not known`) };
    const all = ((JSON.parse(res.body.toString('utf8')) as { tags: string[] | null }).tags ?? []).sort();
    const last = query.get('last');
    const n = Number(query.get('n') ?? 100);
    const page = all.filter((t) => last === null || t > last).slice(0, n);
    const tags = [];
    for (const t of page) {
      const entry = this.tags.get(`${repository}:${t}`);
      tags.push(this.tagJson(t, entry ?? { digest: (await this.digestOf(repository, t)) ?? '', attributes: { deleteEnabled: true, writeEnabled: true, listEnabled: true, readEnabled: true }, created: new Date(0).toISOString() }));
    }
    const more = all.length > 0 && page.length > 0 && page[page.length - 1] !== all[all.length - 1];
    const headers = more ? { link: `</acr/v1/${repository}/_tags?last=${encodeURIComponent(page[page.length - 1])}&n=${n}>; rel="next"` } : undefined;
    return { status: 200, json: { registry: this.loginServer, imageName: repository, tags }, headers };
  }

  private tagJson(name: string, entry: { digest: string; attributes: Attributes; created: string }) {
    return { name, digest: entry.digest, createdTime: entry.created, lastUpdateTime: entry.created, signed: false, changeableAttributes: entry.attributes };
  }

  private async digestOf(repository: string, tag: string): Promise<string | undefined> {
    const res = await rawRequest(this.registry, repository, 'HEAD', `/v2/${repository}/manifests/${tag}`, { headers: { accept: ACCEPT_MANIFESTS } });
    return res.status === 200 ? String(res.headers['docker-content-digest']) : undefined;
  }
}

function errors(code: string, message: string) {
  return { errors: [{ code, message }] };
}
