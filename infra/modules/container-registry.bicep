// The base-image registry: holds only vetted copies of public base images, promoted by basegate.
// Kept apart from application registries so that what builds may use as a base is a separate,
// auditable set (the seeds' practice), and so that basegate's roles stay on this registry.
param name string
param location string
param tags object
@allowed(['Basic', 'Standard', 'Premium'])
param sku string
@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

// 2025-11-01: the first stable API version with roleAssignmentMode.
resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku }
  properties: {
    // No admin user and no anonymous pull: every pull and push is an Entra ID identity with a role.
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    // "RBAC Registry + ABAC Repository Permissions" (issue #15): repository-level data roles, so the
    // tag lock gets a role that can only read and write tag metadata (base-registry-access.bicep)
    // instead of AcrPush, which is not honoured here anyway. ACR Tasks lose their implicit access to
    // the registry in this mode; the validation task gets its own (validation-task.bicep).
    roleAssignmentMode: 'AbacRepositoryPermissions'
  }
}

// Repository events (push, delete) and logins go to Log Analytics: an audit of what entered the registry.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'basegate-logs'
  scope: registry
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

output name string = registry.name
