/** Key Vault secrets over plain HTTPS (api-version 7.4) against the Key Vault contract fake. */
import { Agent } from 'undici';
import { getKeyVaultSecret } from '../../functions/azure/key-vault-secret';
import { createSecretResolver } from '../../functions/azure/secret-resolver';
import { staticCredential } from '../helpers/static-credential';
import { KeyVaultContractFake } from '../servers/key-vault-contract-fake';

describe('Key Vault secrets', () => {
  let vault: KeyVaultContractFake;
  let dispatcher: Agent;

  beforeAll(async () => {
    vault = await KeyVaultContractFake.start();
    dispatcher = new Agent({ connect: { ca: vault.ca } });
  });
  afterEach(() => vault.assertDone());
  afterAll(async () => {
    await dispatcher.close();
    await vault.close();
  });

  it('reads a secret with a token for the Key Vault audience', async () => {
    const id = vault.setSecret('dockerhub-token', 'hunter2');
    const credential = staticCredential(vault.token);
    await expect(getKeyVaultSecret(id, { credential, dispatcher })).resolves.toBe('hunter2');
    expect(credential.scopes).toEqual(['https://vault.azure.net/.default']);
  });

  it('maps a missing secret and a refused token to stable codes, without the value in the message', async () => {
    await expect(getKeyVaultSecret(`${vault.url}/secrets/absent`, { credential: staticCredential(vault.token), dispatcher })).rejects.toMatchObject({ code: 'KEY_VAULT_SECRET_NOT_FOUND', temporary: false });
    const id = vault.setSecret('guarded', 'do-not-print');
    const err: unknown = await getKeyVaultSecret(id, { credential: staticCredential('wrong'), dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'KEY_VAULT_FORBIDDEN' });
    expect((err as Error).message).not.toContain('do-not-print');
  });

  it('caches a resolved secret within its TTL', async () => {
    const id = vault.setSecret('cached-one', 'v1');
    const resolve = createSecretResolver({ keyVault: { credential: staticCredential(vault.token), dispatcher } });
    await expect(resolve({ keyVaultSecret: id })).resolves.toBe('v1');
    vault.setSecret('cached-one', 'v2');
    await expect(resolve({ keyVaultSecret: id })).resolves.toBe('v1');
    expect(vault.requests.filter((r) => r.path === '/secrets/cached-one')).toHaveLength(1);
    const fresh = createSecretResolver({ keyVault: { credential: staticCredential(vault.token), dispatcher }, cacheTtlMs: 0 });
    await expect(fresh({ keyVaultSecret: id })).resolves.toBe('v2');
  });
});
