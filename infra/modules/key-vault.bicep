// Key Vault (RBAC mode) for basegate's upstream credentials and webhook secrets.
// The template creates no secret and holds no secret value: it only names the secrets. The
// operator puts the values in (az keyvault secret set, README.md, "Deploy to Azure"), and the app
// reads them by URI with its managed identity, so a rotated token is used without a redeploy.
param name string
param location string
param tags object
@description('Principal id of the app\'s managed identity.')
param principalId string
@description('Object id of whoever runs azd; empty: no assignment.')
param deployerPrincipalId string
param deployerPrincipalType string
@description('Purge protection (on by default, main.bicep): nobody, an attacker with the app\'s rights included, can destroy the secrets for good; it cannot be turned off again, and the vault outlives `azd down` soft-deleted for softDeleteRetentionInDays.')
param purgeProtection bool
@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

@description('Secret holding the Docker Hub access token (a personal or organisation access token, read-only scope).')
param dockerHubTokenSecretName string = 'dockerhub-token'
// One webhook secret per sender kind (issue #15): the Docker Hub one rides in a URL anyone with
// access to the repository's webhook settings can read, so it must not be the key that signs
// generic deliveries. Rotate each with `az keyvault secret set` (a new version; the app still
// accepts the previous one for a day: functions/azure/webhook-secrets.ts).
@description('Secret Docker Hub webhook URLs carry (?secret=).')
param dockerHubWebhookSecretName string = 'dockerhub-webhook-secret'
@description('Secret ACR webhooks send as Authorization: Bearer.')
param acrWebhookSecretName string = 'acr-webhook-secret'
@description('HMAC key of generic webhook deliveries (X-Basegate-Signature-V1).')
param genericWebhookSecretName string = 'generic-webhook-secret'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

// Key Vault Secrets User: the app reads secret values (Docker Hub token, webhook secrets) and
// nothing else: no listing of keys or certificates, no writes. Assigned on the vault because the
// secrets do not exist yet at deploy time; the vault holds basegate's secrets only.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6') // Key Vault Secrets User
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets Officer: the person (or pipeline) running azd can set and rotate the secret
// values after provisioning; in RBAC mode nobody, owner included, can write a secret without it.
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7') // Key Vault Secrets Officer
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

// Who read which secret, and when (AuditEvent), goes to Log Analytics.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'basegate-logs'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
output dockerHubTokenSecretName string = dockerHubTokenSecretName
output webhookSecretNames object = {
  dockerhub: dockerHubWebhookSecretName
  acr: acrWebhookSecretName
  generic: genericWebhookSecretName
}
