// basegate's rights on the base-image registry, deployed at that registry's resource group
// (it may be an existing registry outside basegate's resource group).
// Role choice (ACR roles directory: learn.microsoft.com/azure/container-registry/container-registry-rbac-built-in-roles-directory-reference):
//   - importImage is a control-plane action AcrPush does not carry; the built-in role made for it is
//     "Container Registry Data Importer and Data Reader" (import + pull, no push, no delete).
//   - the tag lock (az acr repository update --write-enabled false) writes tag metadata on the
//     data plane; no built-in role grants only that. In "RBAC Registry + ABAC Repository
//     Permissions" mode (every registry this template creates) a custom role holds exactly
//     repositories/metadata/read and /write; in the older "RBAC Registry Permissions" mode only
//     AcrPush carries it, and it can also push (kept for existing registries, with a warning).
targetScope = 'resourceGroup'

param registryName string
@description('Principal id of the app\'s managed identity.')
param principalId string
@description('The registry uses "RBAC Registry + ABAC Repository Permissions" mode.')
param abacMode bool
@description('Grant the role that allows locking the promoted immutable tags.')
param lockImmutableTags bool
@description('The validation ACR Task runs in this registry: grant the right to schedule it.')
param runValidationTask bool

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// Container Registry Data Importer and Data Reader: promotion is ARM importImage by digest (the
// bytes never pass through the function) and verifying the imported manifest needs pull; this
// role grants exactly import and read, no push and no delete.
resource importer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, '577a9874-89fd-4f24-9dbd-b5034d0ad23a')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '577a9874-89fd-4f24-9dbd-b5034d0ad23a') // Container Registry Data Importer and Data Reader
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// AcrPush: only to lock immutable tags after import (tag metadata write), on an existing registry
// in "RBAC Registry Permissions" mode, where no narrower built-in role manages tag metadata and
// custom data-plane roles are not honoured. AcrPush can also push: main.bicep outputs a warning
// (BASEGATE_DEPLOYMENT_WARNINGS) and the README says how to move the registry to ABAC mode.
resource tagLockRbac 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (lockImmutableTags && !abacMode) {
  name: guid(registry.id, principalId, '8311e382-0749-4cb8-b61a-304f252e45ec')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '8311e382-0749-4cb8-b61a-304f252e45ec') // AcrPush
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The tag lock on registries in "RBAC Registry + ABAC Repository Permissions" mode (every registry
// this template creates): a custom role holding only repositories/metadata/read and /write, the
// data actions of `PATCH /acr/v1/{repo}/_tags/{tag}`. Container Registry Repository Writer would
// also carry content/write, i.e. pushing and overwriting any base tag; no built-in role is this
// narrow. Defined with the registry as its only assignable scope.
resource tagLockRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (lockImmutableTags && abacMode) {
  name: guid(registry.id, 'basegate-tag-lock')
  properties: {
    roleName: 'basegate tag lock (${registryName})'
    description: 'Reads and writes repository metadata (locks tags against overwrite and deletion) in one container registry; no content read or write, no delete.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.ContainerRegistry/registries/repositories/metadata/read'
          'Microsoft.ContainerRegistry/registries/repositories/metadata/write'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      registry.id
    ]
  }
}

// basegate tag lock: the same tag lock on ABAC registries, through the custom role above, so the
// app can lock the immutable tags it promotes and do nothing else with repository metadata or content.
resource tagLockAbac 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (lockImmutableTags && abacMode) {
  name: guid(registry.id, principalId, 'basegate-tag-lock')
  scope: registry
  properties: {
    roleDefinitionId: tagLockRole.id // basegate tag lock
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Container Registry Tasks Contributor: the acrTask gate schedules the validation task in this
// registry and reads its run status and log. It is the only built-in role that carries
// registries/scheduleRun/action; the docs warn that task rights can be used for data-plane access,
// which is why it is assigned only when the validation task is deployed.
resource tasksContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (runValidationTask) {
  name: guid(registry.id, principalId, 'fb382eab-e894-4461-af04-94435c366c3f')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'fb382eab-e894-4461-af04-94435c366c3f') // Container Registry Tasks Contributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output registryId string = registry.id
output loginServer string = registry.properties.loginServer
