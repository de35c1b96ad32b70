/**
 * Which registry hosts are Azure Container Registry login servers, and the Entra ID audience of
 * each cloud's ACR data plane (the resource an access token must be for, before `/oauth2/exchange`
 * trades it for an ACR refresh token: https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md).
 * Public cloud: `*.azurecr.io`, audience `https://containerregistry.azure.net` (the audience the
 * Azure SDKs and `az acr login` ask for). Azure China (`*.azurecr.cn`) and Azure US Government
 * (`*.azurecr.us`) use their own; a registry entry's `audience` overrides the table, and ACR also
 * accepts an ARM-audience token (`https://management.azure.com`, the SDK's
 * KnownContainerRegistryAudience) when its `azureADAuthenticationAsArmPolicy` is enabled.
 */

/** One cloud's login-server suffix and ACR audience. */
export interface AcrCloud {
  suffix: string;
  audience: string;
}

/** The clouds basegate knows, by login-server suffix. */
export const ACR_CLOUDS: readonly AcrCloud[] = [
  { suffix: '.azurecr.io', audience: 'https://containerregistry.azure.net' },
  { suffix: '.azurecr.cn', audience: 'https://containerregistry.azure.cn' },
  { suffix: '.azurecr.us', audience: 'https://containerregistry.azure.us' },
];

/** The public-cloud ACR audience: the default for a host that is not a known login server (`auth: azure` on a custom domain). */
export const DEFAULT_ACR_AUDIENCE = ACR_CLOUDS[0].audience;

/** The cloud of an ACR login server (`contoso.azurecr.io`, any port ignored), or undefined for any other host. */
export function acrCloudOf(host: string): AcrCloud | undefined {
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return ACR_CLOUDS.find((c) => name.endsWith(c.suffix) && name.length > c.suffix.length);
}

/** The Entra scope (`<audience>/.default`) to ask for to log in to `host`. */
export function acrScopeFor(host: string, audience?: string): string {
  return `${(audience ?? acrCloudOf(host)?.audience ?? DEFAULT_ACR_AUDIENCE).replace(/\/+$/, '')}/.default`;
}
