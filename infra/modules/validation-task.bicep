// The validation ACR Task used by basegate's acrTask gate (basegate.yaml:
// gates.acrTask: { registry: <base registry id>, task: basegate-validate }). It runs
// infra/acr/validate-task.yaml against one candidate image, pinned by digest, before promotion.
// Created in the base registry, whose Tasks Contributor role basegate then holds
// (base-registry-access.bicep, runValidationTask).
targetScope = 'resourceGroup'

param registryName string
@description('Task name the acrTask gate refers to.')
param taskName string = 'basegate-validate'
@description('Lowest vulnerability severity that fails the scan step.')
@allowed(['CRITICAL', 'HIGH,CRITICAL', 'MEDIUM,HIGH,CRITICAL'])
param severity string = 'CRITICAL'
@description('Arguments of the smoke step; empty runs the image\'s own command.')
param smokeCommand string = ''
@description('The registry uses "RBAC Registry + ABAC Repository Permissions" mode.')
param abacMode bool

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// In ABAC mode a task has no implicit data-plane access to the registry it runs in
// (https://learn.microsoft.com/azure/container-registry/container-registry-rbac-abac-repository-permissions,
// "Effect on ACR Tasks"): it logs in with an identity of its own instead, the way `az acr` sets up
// such tasks (source registry login None, the login server through [system]), and that identity
// gets read access only. The candidate itself comes from its upstream registry; what the task may
// read here is what already passed (a scanner image pinned in the base registry, say).
resource task 'Microsoft.ContainerRegistry/registries/tasks@2019-04-01' = {
  parent: registry
  name: taskName
  location: registry.location
  identity: abacMode ? { type: 'SystemAssigned' } : null
  properties: {
    credentials: abacMode
      ? {
          sourceRegistry: { loginMode: 'None' }
          customRegistries: { '${registry.properties.loginServer}': { identity: '[system]' } }
        }
      : null
    status: 'Enabled'
    platform: { os: 'Linux', architecture: 'amd64' }
    agentConfiguration: { cpu: 2 }
    timeout: 3600
    step: {
      type: 'EncodedTask'
      encodedTaskContent: loadFileAsBase64('../acr/validate-task.yaml')
      // IMAGE is set by basegate on every run (overrideTaskStepProperties.values).
      values: [
        { name: 'SEVERITY', value: severity }
        { name: 'SMOKE_COMMAND', value: smokeCommand }
      ]
    }
  }
}

// Container Registry Repository Reader: the validation task's own identity reads the registry it
// runs in (ABAC mode only; in RBAC mode the task's implicit login already can), nothing more: no
// push, no delete, no metadata writes.
resource taskReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (abacMode) {
  name: guid(registry.id, taskName, 'b93aa761-3e63-49ed-ac28-beffa264f7ac')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b93aa761-3e63-49ed-ac28-beffa264f7ac') // Container Registry Repository Reader
    principalId: task.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output taskName string = task.name
