// Log Analytics + workspace-based Application Insights.
// Local (instrumentation key) authentication is disabled: telemetry is accepted only with an
// Entra ID token, which the host gets for the app's identity through
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
param workspaceName string
param appInsightsName string
param location string
param tags object
@description('Principal id of the app\'s managed identity.')
param principalId string

@description('Days Log Analytics keeps logs; 30 is the free retention.')
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// Monitoring Metrics Publisher: with local auth disabled, Application Insights accepts telemetry
// only from identities holding this role on the component; it grants publishing, not reading.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb') // Monitoring Metrics Publisher
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output workspaceId string = workspace.id
output appInsightsName string = appInsights.name
