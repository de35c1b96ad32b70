// The one user-assigned managed identity basegate uses for everything: host storage, its queues and
// tables, Application Insights ingestion, Key Vault, and ARM calls to the registries.
// User-assigned (not system-assigned) so that its role assignments exist before the app first
// starts, and survive the app being re-created.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
