// The app's storage account: host storage (leases, timers, keys), the deployment package, and
// basegate's queues and tables. Shared-key access is disabled: every client, the Functions host
// included, authenticates with the managed identity, so no connection string with a key exists.
//
// The queue and table names are the ones in functions/azure/names.ts (QUEUES, POISON_QUEUES,
// TABLES); test/unit/infra-parity.test.ts reads queueNames and tableNames below and fails when
// they drift apart. Keep them as plain string literals so that the test can read them.
param name string
param location string
param tags object
@description('Blob container Flex Consumption deploys the app package into.')
param deploymentContainerName string
@description('Principal id of the app\'s managed identity.')
param principalId string
@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

// Poison queues are created here, not by the host on first failure: the app's role then never
// needs more than the queues that exist, and the poison reader finds them on day one.
var queueNames = [
  'basegate-validate'
  'basegate-promote'
  'basegate-rebuild'
  'basegate-validate-poison'
  'basegate-promote-poison'
  'basegate-rebuild-poison'
]
var tableNames = [
  'basegateState'
  'basegateAudit'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

// Storage Blob Data Owner: the Functions host keeps its leases, timer schedules and keys in
// blobs, and Flex Consumption reads the app package from the deployment container with this
// identity. The Functions docs name this role for AzureWebJobsStorage with an identity.
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b') // Storage Blob Data Owner
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Queue Data Contributor: the queue triggers peek, receive and delete messages, the host
// moves failures to the -poison queues and calls create-if-not-exists on them, and the app sends
// the next stage's messages. Its data actions include every one of Storage Queue Data Message
// Processor (messages/read, messages/process/action), so that role is not assigned on top.
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88') // Storage Queue Data Contributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: the app reads and writes its state and appends to its audit
// in the basegateState and basegateAudit tables; no table role narrower than this can write.
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3') // Storage Table Data Contributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Queue and table operations (who sent, who deleted) go to Log Analytics for audit.
resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'basegate-logs'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'basegate-logs'
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

output name string = storage.name
output deploymentContainerName string = deploymentContainer.name
