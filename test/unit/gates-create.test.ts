/** createGates over the config as the real loader resolves it, and the gates' refusals of bad options. */
import { parseConfig } from '../../functions/config/load-config';
import { ConfigError } from '../../functions/errors';
import { acrTaskGate } from '../../functions/gates/acr-task';
import { commandGate, resolveCommandGateOptions } from '../../functions/gates/command';
import { cooldownGate } from '../../functions/gates/cooldown';
import { createGates } from '../../functions/gates/create-gates';
import { labelsGate } from '../../functions/gates/labels';
import { maxSizeGate } from '../../functions/gates/max-size';
import { platformsGate } from '../../functions/gates/platforms';

const APP_REGISTRY = '/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg-apps/providers/Microsoft.ContainerRegistry/registries/contosoapps';

const CONFIG = `
target: { registry: "127.0.0.1:5001" }
defaults:
  gates: { cooldown: 24h, approval: manual }
images:
  - source: docker.io/library/node
    tags: ["20-alpine"]
    platforms: [linux/amd64, linux/arm64]
    gates:
      maxSize: 500MB
      maxAge: 90d
      labels: { org.opencontainers.image.source: "^https://github.com/nodejs/" }
      signature: true
      command: { run: ["trivy", "image", "--exit-code", "1", "$IMAGE"], timeout: 10m, env: { TRIVY_TOKEN: "\${TRIVY_TOKEN}" } }
      acrTask: { registry: ${APP_REGISTRY}, encodedTask: ./validate.yaml }
  - source: docker.io/library/python
    tags: ["3.12"]
    gates: { approval: false, cooldown: 1h }
`;

const runAcrTask = async () => ({ runId: 'never', status: 'Succeeded' });

describe('createGates', () => {
  const config = parseConfig(CONFIG, { file: '/etc/basegate/basegate.yaml', env: { TRIVY_TOKEN: 't0ken' } });

  it('builds one gate per configured gate from the loaded config, the platforms gate first, the closure gate last', () => {
    const gates = createGates(config.images[0], { runAcrTask });
    expect(gates.map((g) => g.name)).toEqual(['platforms', 'maxSize', 'maxAge', 'labels', 'referrers', 'cooldown', 'approval', 'command', 'acrTask', 'closure']);
  });

  it('honours defaults merged and turned off per image, and needs no platforms gate without platforms', () => {
    expect(createGates(config.images[1]).map((g) => g.name)).toEqual(['cooldown', 'closure']);
    // The closure gate is always on: nothing is promoted whose closure was not resolved and bounded.
    expect(createGates({ gates: {} }).map((g) => g.name)).toEqual(['closure']);
  });

  it('refuses an acrTask gate where no ACR task runner is available', () => {
    expect(() => createGates(config.images[0])).toThrow(ConfigError);
    expect(() => createGates(config.images[0])).toThrow(/acrTask gate needs Azure/);
  });
});

describe('gate options', () => {
  it.each([
    ['an empty platforms list', () => platformsGate({ platforms: [] })],
    ['a zero maxSize', () => maxSizeGate({ maxSize: 0 })],
    ['a negative cooldown', () => cooldownGate({ cooldown: -1 })],
    ['an invalid label regex', () => labelsGate({ labels: { a: '(' } })],
    ['an empty argv', () => commandGate({ run: [] })],
    ['a blank script', () => commandGate({ run: '  ' })],
    ['$PLATFORM without perPlatform', () => commandGate({ run: ['scan', '--platform', '$PLATFORM'] })],
    ['$PLATFORMS with perPlatform', () => commandGate({ run: 'scan --platforms "$PLATFORMS"', perPlatform: true })],
    ['env overriding IMAGE', () => commandGate({ run: ['scan'], env: { IMAGE: 'docker.io/evil' } })],
    ['a zero command timeout', () => commandGate({ run: ['scan'], timeout: 0 })],
    ['both task and encodedTask', () => acrTaskGate({ registry: APP_REGISTRY, task: 'a', encodedTask: '/b.yaml' }, runAcrTask)],
    ['neither task nor encodedTask', () => acrTaskGate({ registry: APP_REGISTRY }, runAcrTask)],
  ])('refuses %s with a ConfigError', (_what, build) => {
    expect(build).toThrow(ConfigError);
  });

  it('passes only harmless variables and the ones listed in env: to a command', () => {
    const environment = { PATH: '/usr/bin', HOME: '/home/x', AZURE_CLIENT_SECRET: 'no', BASEGATE_HOOK_SECRET: 'no', GRYPE_DB: '/db' };
    expect(resolveCommandGateOptions({ run: ['grype'], env: ['GRYPE_DB', 'UNSET_ONE'], environment }).env).toEqual({ PATH: '/usr/bin', HOME: '/home/x', GRYPE_DB: '/db' });
    expect(resolveCommandGateOptions({ run: 'grype "$IMAGE"', env: { TOKEN: 'v' }, environment })).toMatchObject({ argv: ['/bin/sh', '-c', 'grype "$IMAGE"'], shell: true, env: { PATH: '/usr/bin', HOME: '/home/x', TOKEN: 'v' } });
  });
});
