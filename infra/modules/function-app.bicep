// The Functions app on the Flex Consumption plan (FC1).
// Flex keeps runtime and scale in functionAppConfig and rejects the FUNCTIONS_WORKER_RUNTIME and
// WEBSITE_RUN_FROM_PACKAGE app settings; the package is read from a blob container with the
// app's identity (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan).
param name string
param planName string
param location string
param tags object
@description('Resource id of the user-assigned identity the app uses for everything.')
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param appInsightsName string
@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string
@allowed(['20', '22'])
param nodeVersion string
param maximumInstanceCount int
param instanceMemoryMB int
param detectSchedule string
param poisonSchedule string
@description('Vault URI (ends with a slash).')
param keyVaultUri string
param dockerHubUsername string
param dockerHubTokenSecretName string
@description('Key Vault secret name of each sender\'s webhook secret: { dockerhub, acr, generic }.')
param webhookSecretNames object
param baseRegistryId string
param baseRegistryLoginServer string
@description('Comma-separated ARM ids of application registries.')
param appRegistryIds string
@description('Client id of the API\'s Entra app registration when App Service authentication is deployed (main.bicep apiAuthEnabled), else empty.')
param apiClientId string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Every app setting, in one object literal. functions/config/app-settings.ts reads the BASEGATE_*
// ones and AzureWebJobsStorage__queueServiceUri/__tableServiceUri/AZURE_CLIENT_ID;
// test/unit/infra-parity.test.ts reads the keys below and fails on any setting declared here but
// not read by the code, or read by the code but not declared here. Keep the keys literal.
// No value is a secret: Key Vault secrets are passed by URI and read with the identity.
var appSettings = {
  // Host storage through the identity: no AzureWebJobsStorage connection string (it would
  // silently override these) and no account key anywhere.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  // Telemetry with Entra ID ingestion; the component has local auth disabled.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential picks the user-assigned identity by this client id (ARM, Key Vault).
  AZURE_CLIENT_ID: identityClientId
  BASEGATE_CONFIG_PATH: 'basegate.yaml'
  BASEGATE_DETECT_SCHEDULE: detectSchedule
  BASEGATE_POISON_SCHEDULE: poisonSchedule
  BASEGATE_KEYVAULT_URI: keyVaultUri
  BASEGATE_DOCKERHUB_USERNAME: dockerHubUsername
  BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: empty(dockerHubUsername) ? '' : '${keyVaultUri}secrets/${dockerHubTokenSecretName}'
  BASEGATE_DOCKERHUB_WEBHOOK_SECRET_URI: '${keyVaultUri}secrets/${webhookSecretNames.dockerhub}'
  BASEGATE_ACR_WEBHOOK_SECRET_URI: '${keyVaultUri}secrets/${webhookSecretNames.acr}'
  BASEGATE_GENERIC_WEBHOOK_SECRET_URI: '${keyVaultUri}secrets/${webhookSecretNames.generic}'
  // The host refuses a request body past this many bytes before it buffers it (issue #15): the
  // largest body any route takes is a webhook's 256 KiB (functions/webhooks/bounded-body.ts),
  // which the app checks again while reading.
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '262144'
  BASEGATE_BASE_REGISTRY_ID: baseRegistryId
  BASEGATE_BASE_REGISTRY_LOGIN_SERVER: baseRegistryLoginServer
  BASEGATE_APP_REGISTRY_IDS: appRegistryIds
  // Set exactly when api-auth.bicep is deployed: the app trusts X-MS-CLIENT-PRINCIPAL only then.
  BASEGATE_API_CLIENT_ID: apiClientId
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy the `basegate` service (azure.yaml) into by this tag.
  tags: union(tags, { 'azd-service-name': 'basegate' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references, if an operator adds one, resolve with the same identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      // No FTP at all (issue #15): azd deploys through the package container with the identity.
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Basic (user name and password) publishing credentials off for FTP and for the SCM site: a
// deployment authenticates with Entra ID, so no password can publish code into the app.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource appSettingsConfig 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// Function executions and host logs (FunctionAppLogs) go to Log Analytics beside the app's telemetry.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'basegate-logs'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
