// basegate on Azure (issue #8): `azd up` provisions this, then deploys the Functions app into it.
//
// What it creates, in one resource group (rg-<environmentName>):
//   - a Function App on the Flex Consumption plan (FC1, Node), its package in a blob container;
//   - its storage account (no shared keys): queues basegate-validate/-promote/-rebuild and their
//     -poison queues, tables basegateState and basegateAudit;
//   - Log Analytics + Application Insights (Entra ID ingestion only), diagnostic settings;
//   - one user-assigned managed identity the app uses for everything;
//   - a Key Vault (RBAC mode) for the Docker Hub token and the webhook secrets: the template only
//     names the secrets, their values are put in by the operator (README.md, "Deploy to Azure");
//   - the base-image registry, unless an existing one is given (existingBaseRegistryId);
//   - optionally the validation ACR Task and an Event Grid subscription for the base registry.
// Application registries are never created here: they are referenced (appRegistryIds) and only get
// a role assignment, deployed by a module at each registry's own resource group.
//
// Written as plain resources rather than Azure Verified Modules: every property the checks in
// test/unit/infra-*.test.ts read is visible in this repository, and `bicep build` needs no
// registry download. Layout and settings follow the Flex Consumption azd quickstart
// (Azure-Samples/functions-quickstart-typescript-azd, infra/app/api.bicep).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used in resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group name; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the person or pipeline running azd; gets Key Vault Secrets Officer to put the tokens in. Empty: none.')
param deployerPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('Kind of deployerPrincipalId.')
param deployerPrincipalType string = 'User'

@allowed(['20', '22'])
@description('Node.js major version of the Functions runtime.')
param nodeVersion string = '20'

@minValue(1)
@maxValue(1000)
@description('Flex Consumption scale-out ceiling: caps cost and the parallel load basegate puts on upstream registries.')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
@description('Instance memory (MB). 2048 is the Flex default; pipeline work is I/O-bound.')
param instanceMemoryMB int = 2048

@description('ARM id of an existing base-image registry. Empty: create one in this resource group.')
param existingBaseRegistryId string = ''

@allowed(['Basic', 'Standard', 'Premium'])
@description('SKU of the base registry when this template creates it.')
param baseRegistrySku string = 'Standard'

@description('True when an existing base registry uses "RBAC Registry + ABAC Repository Permissions" mode (picks the role used for tag locks); a registry this template creates always does.')
param baseRegistryAbacMode bool = false

@description('Give the app the right to lock the immutable tags it promotes (basegate.yaml target.acr.lockImmutableTags).')
param lockImmutableTags bool = true

@description('Comma-separated ARM ids of application registries whose ACR Tasks basegate may run (rebuilds, acrTask gate). They may live in other resource groups or subscriptions.')
param appRegistryIds string = ''

@description('Create the validation ACR Task (infra/acr/validate-task.yaml) in the base registry, for the acrTask gate.')
param deployValidationTask bool = false

@description('Subscribe the webhook function to the base registry\'s push events through Event Grid (needs the app deployed first: see README.md, "Deploy to Azure").')
param enableEventGrid bool = false

@secure()
@description('Function key of the eventgrid webhook; sent by Event Grid as the x-functions-key header. Only read when enableEventGrid is true.')
param eventGridFunctionKey string

@description('Docker Hub user or organisation whose token is in Key Vault; empty: anonymous pulls (rate-limited).')
param dockerHubUsername string = ''

@description('NCRONTAB schedule of the detect timer.')
param detectSchedule string = '0 */15 * * * *'

@description('NCRONTAB schedule of the poison-queue reader.')
param poisonSchedule string = '0 */10 * * * *'

@description('Client id of the Entra app registration that protects the HTTP API (approvals, status). Empty: no App Service authentication, approvals answer 503 AUTH_NOT_CONFIGURED (README, "Approvals with Entra ID").')
param apiClientId string = ''

@description('Key Vault purge protection (issue #15: on by default). A protected vault cannot be purged: after `azd down` it stays soft-deleted, its name taken, for its retention period (7 days).')
param keyVaultPurgeProtection bool = true

@description('Name of the Key Vault. Empty: kv-<resourceToken>. azd sets a name chosen once per deployment (scripts/azd/keyvault-name.sh), so that an `azd up` after `azd down` does not collide with the soft-deleted vault of the last deployment.')
param keyVaultName string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var createBaseRegistry = empty(existingBaseRegistryId)
var rgName = !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
var baseRegistryName = createBaseRegistry ? 'crbase${resourceToken}' : last(split(existingBaseRegistryId, '/'))
var baseRegistrySubscriptionId = createBaseRegistry ? subscription().subscriptionId : split(existingBaseRegistryId, '/')[2]
var baseRegistryResourceGroup = createBaseRegistry ? rgName : split(existingBaseRegistryId, '/')[4]
var appRegistryIdList = filter(map(split(appRegistryIds, ','), id => trim(id)), id => !empty(id))
var functionAppName = 'func-${resourceToken}'
// Repository permissions mode of the base registry: ABAC when this template creates it.
var baseRegistryAbac = createBaseRegistry || baseRegistryAbacMode
// One condition for both halves of API authentication: the platform's (api-auth.bicep) and the
// app setting that tells the app to trust the platform's principal (function-app.bicep).
var apiAuthEnabled = !empty(apiClientId)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'basegate-identity'
  scope: rg
  params: {
    name: 'id-basegate-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'basegate-monitoring'
  scope: rg
  params: {
    workspaceName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'basegate-storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(functionAppName, 32)}'
    principalId: identity.outputs.principalId
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'basegate-keyvault'
  scope: rg
  params: {
    name: empty(keyVaultName) ? 'kv-${resourceToken}' : keyVaultName
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    purgeProtection: keyVaultPurgeProtection
    workspaceId: monitoring.outputs.workspaceId
  }
}

module baseRegistry 'modules/container-registry.bicep' = if (createBaseRegistry) {
  name: 'basegate-base-registry'
  scope: rg
  params: {
    name: baseRegistryName
    location: location
    tags: tags
    sku: baseRegistrySku
    workspaceId: monitoring.outputs.workspaceId
  }
}

// Deployed at the base registry's own resource group: it may be an existing registry elsewhere.
module baseRegistryAccess 'modules/base-registry-access.bicep' = {
  name: 'basegate-base-registry-access'
  scope: resourceGroup(baseRegistrySubscriptionId, baseRegistryResourceGroup)
  dependsOn: [baseRegistry]
  params: {
    registryName: baseRegistryName
    principalId: identity.outputs.principalId
    // A registry this template creates is in ABAC mode (container-registry.bicep): the tag lock then
    // needs no AcrPush, which could also push and overwrite any base tag.
    abacMode: baseRegistryAbac
    lockImmutableTags: lockImmutableTags
    runValidationTask: deployValidationTask
  }
}

module validationTask 'modules/validation-task.bicep' = if (deployValidationTask) {
  name: 'basegate-validation-task'
  scope: resourceGroup(baseRegistrySubscriptionId, baseRegistryResourceGroup)
  dependsOn: [baseRegistry]
  params: {
    registryName: baseRegistryName
    abacMode: baseRegistryAbac
  }
}

// One module per application registry, at that registry's resource group (a role assignment
// can only be deployed at the scope it is assigned on, or a resource group holding it).
module appRegistryAccess 'modules/app-registry-access.bicep' = [
  for (registryId, i) in appRegistryIdList: {
    name: 'basegate-app-registry-${i}'
    scope: resourceGroup(split(registryId, '/')[2], split(registryId, '/')[4])
    params: {
      registryName: last(split(registryId, '/'))
      principalId: identity.outputs.principalId
    }
  }
]

module functionApp 'modules/function-app.bicep' = {
  name: 'basegate-function-app'
  scope: rg
  // The host needs its storage roles before its first start, or it fails to take its leases.
  dependsOn: [storage]
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceId: monitoring.outputs.workspaceId
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    detectSchedule: detectSchedule
    poisonSchedule: poisonSchedule
    keyVaultUri: keyVault.outputs.vaultUri
    dockerHubUsername: dockerHubUsername
    dockerHubTokenSecretName: keyVault.outputs.dockerHubTokenSecretName
    webhookSecretNames: keyVault.outputs.webhookSecretNames
    baseRegistryId: baseRegistryAccess.outputs.registryId
    baseRegistryLoginServer: baseRegistryAccess.outputs.loginServer
    appRegistryIds: join(appRegistryIdList, ',')
    apiClientId: apiAuthEnabled ? apiClientId : ''
  }
}

module apiAuth 'modules/api-auth.bicep' = if (apiAuthEnabled) {
  name: 'basegate-api-auth'
  scope: rg
  params: {
    siteName: functionApp.outputs.name
    apiClientId: apiClientId
  }
}

module registryEvents 'modules/registry-events.bicep' = if (enableEventGrid) {
  name: 'basegate-registry-events'
  scope: resourceGroup(baseRegistrySubscriptionId, baseRegistryResourceGroup)
  params: {
    registryName: baseRegistryName
    webhookUrl: 'https://${functionApp.outputs.defaultHostName}/api/webhooks/eventgrid'
    functionKey: eventGridFunctionKey
  }
}

// Outputs become azd environment values (azd env get-value NAME). None of them is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.vaultUri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output BASEGATE_BASE_REGISTRY_ID string = baseRegistryAccess.outputs.registryId
output BASEGATE_BASE_REGISTRY_LOGIN_SERVER string = baseRegistryAccess.outputs.loginServer
output BASEGATE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// What the deployment could not make as narrow as it should be (`azd env get-value BASEGATE_DEPLOYMENT_WARNINGS`; README, "What you get").
var acrPushWarning = 'The existing base registry uses RBAC registry permissions, so the tag lock is granted through AcrPush, which can also push and overwrite any tag in it. Switch the registry to "RBAC Registry + ABAC Repository Permissions" (az acr update --role-assignment-mode rbac-abac) and set BASEGATE_BASE_REGISTRY_ABAC=true, so that basegate gets a role that can only lock tags.'
output BASEGATE_DEPLOYMENT_WARNINGS string = lockImmutableTags && !baseRegistryAbac ? acrPushWarning : ''
