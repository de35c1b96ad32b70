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

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku }
  properties: {
    // No admin user and no anonymous pull: every pull and push is an Entra ID identity with a role.
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
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
