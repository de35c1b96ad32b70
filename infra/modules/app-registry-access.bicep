// basegate's right on one application registry, deployed at that registry's resource group:
// application registries are referenced, never created or changed by basegate's deployment.
targetScope = 'resourceGroup'

param registryName string
@description('Principal id of the app\'s managed identity.')
param principalId string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// Container Registry Tasks Contributor: rebuild dependents (acrTask, discover) schedule runs of
// the application's own ACR Tasks and read their status; scheduleRun/action is in no narrower
// built-in role. No data-plane role is given: the tasks push with their own identities.
resource tasksContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, 'fb382eab-e894-4461-af04-94435c366c3f')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'fb382eab-e894-4461-af04-94435c366c3f') // Container Registry Tasks Contributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
