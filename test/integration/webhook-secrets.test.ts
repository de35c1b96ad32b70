/**
 * One webhook secret per sender, rotatable (issue #15), against the Key Vault contract fake
 * (versions as `az keyvault secret set` makes them): the current value and, for a day after a
 * rotation, the one it replaced; never a disabled or expired version, never another sender's.
 */
import { Agent } from 'undici';
import { createSecretResolver } from '../../functions/azure/secret-resolver';
import { createWebhookSecrets, ROTATION_GRACE_MS } from '../../functions/azure/webhook-secrets';
import { staticCredential } from '../helpers/static-credential';
import { KeyVaultContractFake } from '../servers/key-vault-contract-fake';

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

/** A source reading `uris` with no caching, so each call sees the vault as it is now. */
function source(uris: Record<string, string>, now = () => new Date()) {
  const keyVault = { credential: staticCredential(vault.token), dispatcher };
  const resolve = createSecretResolver({ keyVault, cacheTtlMs: 0 });
  // The version listing is cached for minutes; a fresh source per step stands for time passing.
  return () => createWebhookSecrets(uris, resolve, keyVault, now);
}

it('accepts the current value, then during a rotation both, and after a day only the new one', async () => {
  const uri = vault.setSecret('dockerhub-webhook-secret', 'old-value', { createdAt: new Date(Date.now() - 30 * 24 * 3600_000) });
  const secrets = source({ dockerhub: uri });
  expect(await secrets()('dockerhub')).toEqual(['old-value']);

  vault.setSecret('dockerhub-webhook-secret', 'new-value');
  expect(await secrets()('dockerhub')).toEqual(['new-value', 'old-value']);

  const later = source({ dockerhub: uri }, () => new Date(Date.now() + ROTATION_GRACE_MS + 60_000));
  expect(await later()('dockerhub')).toEqual(['new-value']);
  // The listing read versions only: no value but the two accepted ones was ever fetched.
  expect(vault.requests.filter((r) => r.path.endsWith('/versions')).length).toBeGreaterThan(0);
});

it('ends a rotation early when the old version is disabled, and never accepts an expired one', async () => {
  const uri = vault.setSecret('acr-webhook-secret', 'a1', { createdAt: new Date(Date.now() - 3600_000) });
  vault.setSecret('acr-webhook-secret', 'a2');
  const secrets = source({ acr: uri });
  expect(await secrets()('acr')).toEqual(['a2', 'a1']);
  vault.disableOlderVersions('acr-webhook-secret');
  expect(await secrets()('acr')).toEqual(['a2']);

  const g = vault.setSecret('generic-webhook-secret', 'g1', { createdAt: new Date(Date.now() - 3600_000), expiresAt: new Date(Date.now() - 60_000) });
  vault.setSecret('generic-webhook-secret', 'g2');
  expect(await source({ generic: g })()('generic')).toEqual(['g2']);
});

it('a version-pinned URI never rotates, and a sender without a URI has no secret', async () => {
  const uri = vault.setSecret('pinned-webhook-secret', 'p1', { createdAt: new Date(Date.now() - 3600_000) });
  vault.setSecret('pinned-webhook-secret', 'p2');
  expect(await source({ dockerhub: uri })()('dockerhub')).toEqual(['p2', 'p1']);
  expect(await source({ dockerhub: vault.latestVersionId('pinned-webhook-secret') })()('dockerhub')).toEqual(['p2']);
  expect(await source({ dockerhub: uri })()('generic')).toBeUndefined();
});
