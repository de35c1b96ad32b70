/**
 * The one place basegate builds an Azure credential. In Azure the Functions app runs with a
 * managed identity (a user-assigned one is named by its client id, as `AzureWebJobsStorage__clientId`
 * does for the host); on a laptop or in CI the same code picks up `az login`, environment
 * variables or workload identity through `DefaultAzureCredential`.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ConfigError } from '../errors';

export type { TokenCredential } from '@azure/identity';

/** Options of {@link createAzureCredential}. */
export interface AzureCredentialOptions {
  /** Use this credential as is (tests pass a loopback token source; callers may share one). */
  credential?: TokenCredential;
  /** Client id of a user-assigned managed identity. */
  managedIdentityClientId?: string;
}

/** Returns the given credential, or a `DefaultAzureCredential` (for the user-assigned identity when named). */
export function createAzureCredential(options: AzureCredentialOptions = {}): TokenCredential {
  if (options.credential && options.managedIdentityClientId) {
    throw new ConfigError('give either a credential or a managedIdentityClientId, not both', { code: 'AZURE_CREDENTIAL_CONFLICT' });
  }
  if (options.credential) return options.credential;
  return new DefaultAzureCredential(options.managedIdentityClientId ? { managedIdentityClientId: options.managedIdentityClientId } : {});
}
