// Optional: Event Grid delivers the base registry's push events to basegate's eventgrid webhook
// (POST /api/webhooks/eventgrid, issue #7), which enqueues a detect only for tracked images.
// Event Grid checks the endpoint with a validation handshake when the subscription is created,
// so the app must already be deployed: enable this on a second `azd provision` (README.md, "Deploy to Azure").
targetScope = 'resourceGroup'

param registryName string
@description('https URL of the eventgrid webhook function, without key.')
param webhookUrl string
@secure()
@description('Function key of the webhook; Event Grid sends it as the x-functions-key header and keeps it secret.')
param functionKey string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-${registryName}'
  location: registry.location
  properties: {
    source: registry.id
    topicType: 'Microsoft.ContainerRegistry.Registries'
  }
}

resource pushed 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'basegate-image-pushed'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
        deliveryAttributeMappings: [
          {
            name: 'x-functions-key'
            type: 'Static'
            properties: {
              value: functionKey
              isSecret: true
            }
          }
        ]
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.ContainerRegistry.ImagePushed']
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}
