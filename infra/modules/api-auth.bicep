// App Service authentication ("Easy Auth", authsettingsV2) for basegate's HTTP API (issue #15):
// approvals and status need an Entra ID token for the API's app registration, so every decision
// is recorded under a real identity. Deployed only when apiClientId is given (main.bicep,
// apiAuthEnabled): an app registration cannot be created by plain Bicep, so azd asks for nothing
// and the API stays closed to approvals (503 AUTH_NOT_CONFIGURED) until an operator sets one.
// The same condition sets the app setting BASEGATE_API_CLIENT_ID, which is what tells the app
// that the platform authenticates callers and that X-MS-CLIENT-PRINCIPAL can be trusted
// (functions/handlers/http/api-auth.ts); without the platform in front, any client could send it.
// Reference: https://learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2
targetScope = 'resourceGroup'

param siteName string
@description('Client id of the Entra app registration of the basegate API (app roles basegate.approver, basegate.reader).')
param apiClientId string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      // An API answers 401; there is no login page to redirect a pipeline or a script to.
      unauthenticatedClientAction: 'Return401'
      // Webhook senders (Docker Hub, ACR, Event Grid, CI) cannot present Entra tokens: they keep a
      // function key and their own secret. Exactly the app's webhook routes, spelled out (no
      // wildcard): test/unit/infra-hardening.test.ts compares them with the registered routes.
      excludedPaths: [
        '/api/webhooks/dockerhub'
        '/api/webhooks/acr'
        '/api/webhooks/eventgrid'
        '/api/webhooks/generic'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          // Tokens for this API only: `az account get-access-token --resource api://<client id>`.
          allowedAudiences: [
            'api://${apiClientId}'
            apiClientId
          ]
        }
      }
    }
    login: {
      // API callers send bearer tokens; no session tokens are kept.
      tokenStore: {
        enabled: false
      }
    }
  }
}
