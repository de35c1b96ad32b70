/**
 * Locks a tag in Azure Container Registry so that it can be neither overwritten nor deleted
 * (ACR data plane, api-version 2021-07-01, Azure/azure-rest-api-specs
 * specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01,
 * ContainerRegistry_UpdateTagAttributes, example UpdateTagAttributes.json):
 *
 *   PATCH https://{loginServer}/acr/v1/{repo}/_tags/{tag}  { "writeEnabled": false, "deleteEnabled": false }
 *   → 200 { registry, imageName, tag: { name, digest, changeableAttributes } }
 *
 * The request goes through the data-plane registry client, so it logs in the way every other
 * data-plane call does (acr-entra-login.ts: the Entra ID exchange, then an access token scoped
 * `repository:{repo}:metadata_write`). The identity needs a role that allows metadata writes
 * (e.g. "Container Registry Repository Writer", or AcrPush). The answer is checked: a lock the
 * registry did not apply is an error, not a success.
 */
import { BasegateError, RegistryError } from '../errors';
import { readAtMost, type HttpResponse } from '../oci/registry/http';
import { checkResponse, type RegistryRequest } from '../oci/registry/send';
import { ImageRef } from '../oci/reference';

/** Locks one tag against overwrite and deletion. */
export interface AcrTagLock {
  lock(repository: string, tag: string): Promise<void>;
}

/** What the tag lock needs of the registry client: vendor API calls over its transport (RemoteRegistry.send). */
export interface RegistrySender {
  send(request: RegistryRequest): Promise<HttpResponse>;
}

/** Options of {@link AcrDataPlaneTagLock}. */
export interface AcrDataPlaneTagLockOptions {
  /** `contosobase.azurecr.io`. */
  loginServer: string;
  /** The data-plane client (its credential chain logs in to the registry). */
  registry: RegistrySender;
}

const API_VERSION = '2021-07-01';

/** The tag lock over ACR's data plane. */
export class AcrDataPlaneTagLock implements AcrTagLock {
  constructor(private readonly options: AcrDataPlaneTagLockOptions) {}

  /** Sets `writeEnabled: false, deleteEnabled: false` on `repository:tag`, and checks the registry says so. */
  async lock(repository: string, tag: string): Promise<void> {
    const ref = ImageRef.of({ registry: this.options.loginServer, repository });
    const body = Buffer.from(JSON.stringify({ writeEnabled: false, deleteEnabled: false }));
    let res: HttpResponse;
    try {
      res = await checkResponse(
        await this.options.registry.send({
          method: 'PATCH',
          ref,
          path: `/acr/v1/${repository}/_tags/${encodeURIComponent(tag)}`,
          query: { 'api-version': API_VERSION },
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: () => body,
          expectedLength: body.length,
          scopes: [`repository:${repository}:metadata_write`],
        }),
        200,
      );
    } catch (err) {
      if (!(err instanceof RegistryError) || err.code.startsWith('AUTH_') || err.code.startsWith('ACR_TOKEN')) throw err;
      throw new BasegateError('ACR_TAG_LOCK_FAILED', `locking ${this.options.loginServer}/${repository}:${tag}: ${err.message}`, { temporary: err.temporary, cause: err });
    }
    const { bytes } = await readAtMost(res.body, 64 * 1024);
    const attributes = parseAttributes(bytes.toString('utf8'));
    if (attributes?.writeEnabled !== false || attributes.deleteEnabled !== false) {
      throw new BasegateError('ACR_TAG_LOCK_FAILED', `locking ${this.options.loginServer}/${repository}:${tag}: the registry answered 200 but the tag's attributes are ${JSON.stringify(attributes ?? null)}`);
    }
  }
}

function parseAttributes(text: string): { writeEnabled?: unknown; deleteEnabled?: unknown } | undefined {
  try {
    return (JSON.parse(text) as { tag?: { changeableAttributes?: { writeEnabled?: unknown; deleteEnabled?: unknown } } }).tag?.changeableAttributes;
  } catch {
    return undefined;
  }
}
