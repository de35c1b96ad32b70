/**
 * The `Registry` port over the OCI Distribution API (undici), with the `BlobMounter` and
 * `ManifestDeleter` capabilities. Each operation lives in its own module (manifest.ts,
 * blob.ts, tag.ts, referrers.ts, the same names as the `oci/layout/` backend); this class only
 * wires them to one transport (transport.ts) and one set of options (options.ts).
 */
import type { Readable } from 'node:stream';
import type { ImageRef } from '../reference';
import type { BlobMounter, BlobPutOptions, Descriptor, Manifest, ManifestDeleter, ManifestInfo, ReferrersOptions, Registry, TagListOptions } from '../registry-port';
import { blobGet, blobHead, blobMount, blobPut } from './blob';
import { discard, type HttpResponse } from './http';
import { manifestDelete, manifestGet, manifestHead, manifestPut } from './manifest';
import { resolveRegistryClientOptions, type RegistryClientOptions } from './options';
import type { RateLimit } from './rate-budget';
import { referrers } from './referrers';
import { checkResponse, makeSend, type RegistryContext, type RegistryRequest } from './send';
import type { RegistryStats } from './stats';
import { tagList } from './tag';
import { buildTransport, type RegistryTransport } from './transport';
import { withRetries } from './retry';

/** A Distribution API client implementing the `Registry` port, mounts and deletes. */
export class RemoteRegistry implements Registry, BlobMounter, ManifestDeleter {
  private readonly transport: RegistryTransport;
  private readonly ctx: RegistryContext;

  constructor(options: RegistryClientOptions = {}) {
    const resolved = resolveRegistryClientOptions(options);
    this.transport = buildTransport(resolved);
    this.ctx = {
      send: makeSend(this.transport.send, resolved),
      retrying: (what, operation) => withRetries(resolved.retry, resolved.onEvent, what, operation),
      options: resolved,
      noReferrersApi: new Map(),
    };
  }

  /** `GET /v2/` with credentials for `ref`'s repository: the registry answers and accepts us. */
  async ping(ref: ImageRef): Promise<void> {
    const res = await checkResponse(await this.ctx.send({ method: 'GET', ref, path: '/v2/' }), 200);
    await discard(res);
  }

  manifestHead(ref: ImageRef): Promise<ManifestInfo | undefined> {
    return manifestHead(this.ctx, ref);
  }

  manifestGet(ref: ImageRef): Promise<Manifest> {
    return manifestGet(this.ctx, ref);
  }

  manifestPut(ref: ImageRef, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
    return manifestPut(this.ctx, ref, manifest);
  }

  /** Deletes the manifest `ref` names (by digest when pinned); one already gone counts as deleted. */
  manifestDelete(ref: ImageRef): Promise<void> {
    return manifestDelete(this.ctx, ref);
  }

  blobHead(ref: ImageRef, digest: string): Promise<{ size: number } | undefined> {
    return blobHead(this.ctx, ref, digest);
  }

  blobGet(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    return blobGet(this.ctx, ref, descriptor);
  }

  blobPut(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>, body: () => Readable, options?: BlobPutOptions): Promise<void> {
    return blobPut(this.ctx, ref, descriptor, body, options);
  }

  /** Cross-repository mount within one registry; false when declined (the opened session is cancelled) or across hosts. */
  blobMount(ref: ImageRef, digest: string, from: ImageRef): Promise<boolean> {
    return blobMount(this.ctx, ref, digest, from);
  }

  tagList(ref: ImageRef, options?: TagListOptions): Promise<string[]> {
    return tagList(this.ctx, ref, options);
  }

  referrers(ref: ImageRef, options?: ReferrersOptions): Promise<Descriptor[]> {
    return referrers(this.ctx, ref, options);
  }

  /**
   * Sends a request to a registry's vendor API (ACR's `/acr/v1/...`) through this client's stack:
   * the host's credentials, retries, limits and stats. The caller checks the response (checkResponse).
   */
  send(request: RegistryRequest): Promise<HttpResponse> {
    return this.ctx.send(request);
  }

  /** The latest rate-limit reading of a host (`docker.io` or `registry-1.docker.io`); undefined until it sent one. */
  rateLimit(host: string): RateLimit | undefined {
    return this.transport.rateLimit(host);
  }

  /** Requests by method and bytes up and down since construction. */
  stats(): RegistryStats {
    return this.transport.stats();
  }

  /** Closes the connection pools; the client must not be used afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
