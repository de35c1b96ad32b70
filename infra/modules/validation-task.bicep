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

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource task 'Microsoft.ContainerRegistry/registries/tasks@2019-04-01' = {
  parent: registry
  name: taskName
  location: registry.location
  properties: {
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

output taskName string = task.name
