/**
 * The servers the fault rounds run against, all real and on loopback:
 * - the shared anonymous docker-registry (testEnv) as the upstream, behind a fault proxy;
 * - a basic-auth docker-registry of the suite's own as the target, behind a second fault
 *   proxy, so the suite can walk its storage directory and check every stored byte;
 * - the strict webhook receiver as every dependent (one path per dependent).
 * The credentials planted here are grepped for in every output at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage, type SynthImage } from '../helpers/image-synth';
import type { RawTarget } from '../helpers/raw-registry';
import { startRegistry, type RegistryServer } from '../servers/registry-server';
import { testEnv } from '../servers/test-env';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';
import type { RoundPlan } from './fault-plan';

/** Credentials that must never show up in any output. */
export interface PlantedSecrets {
  registryUser: string;
  registryPassword: string;
  hookSecret: string;
  hookToken: string;
}

export interface FaultWorld {
  upstream: RawTarget;
  target: RegistryServer;
  targetRaw: RawTarget;
  sourceProxy: FaultProxy;
  targetProxy: FaultProxy;
  receiver: WebhookReceiver;
  secrets: PlantedSecrets;
  /** The environment basegate reads the planted secrets from (`${VAR}` in the config). */
  env: Record<string, string>;
  dir: string;
  close(): Promise<void>;
}

/** Steps kept queued in the strict receiver: each delivery takes one, whatever the round. */
const RECEIVER_QUEUE = 200;

export async function startFaultWorld(): Promise<FaultWorld> {
  const nonce = Math.random().toString(36).slice(2, 10);
  const secrets: PlantedSecrets = {
    registryUser: 'basegate',
    registryPassword: `planted-registry-pw-${nonce}`,
    hookSecret: `planted-hook-secret-${nonce}`,
    hookToken: `planted-hook-token-${nonce}`,
  };
  const target = await startRegistry({ auth: 'basic', users: { [secrets.registryUser]: secrets.registryPassword } });
  const upstream = { host: testEnv().registries.anonymous.host };
  const [sourceProxy, targetProxy, receiver] = await Promise.all([
    startFaultProxy({ upstream: `http://${upstream.host}` }),
    startFaultProxy({ upstream: `http://${target.host}` }),
    startWebhookReceiver(),
  ]);
  const dir = fs.mkdtempSync(path.join(scratchDir(), 'basegate-faults-'));
  return {
    upstream,
    target,
    targetRaw: { host: target.host, username: secrets.registryUser, password: secrets.registryPassword },
    sourceProxy,
    targetProxy,
    receiver,
    secrets,
    env: { FAULT_REGISTRY_PASSWORD: secrets.registryPassword, FAULT_HOOK_SECRET: secrets.hookSecret, FAULT_HOOK_TOKEN: secrets.hookToken },
    dir,
    async close() {
      await Promise.all([sourceProxy.stop(), targetProxy.stop(), receiver.close()]);
      await target.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Where round directories (config, state, audit) go: tmpfs when there is one. The state store
 * fsyncs every write, ~10 ms each on this disk; a SIGKILL loses nothing the page cache holds,
 * so tmpfs changes nothing the rounds test (power loss is not among the faults).
 */
function scratchDir(): string {
  return fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').isDirectory() ? '/dev/shm' : os.tmpdir();
}

/** Keeps enough expected deliveries queued in the strict receiver (each checks the signature with the planted secret). */
export function topUpReceiver(world: FaultWorld, queued: { count: number }): void {
  while (queued.count - world.receiver.requests.length < RECEIVER_QUEUE) {
    world.receiver.expectDelivery({ secret: world.secrets.hookSecret });
    queued.count++;
  }
}

/** One round's images, repositories and files. */
export interface RoundSetup {
  plan: RoundPlan;
  dir: string;
  configFile: string;
  stateFile: string;
  tag: string;
  sourceRepos: string[];
  targetRepos: string[];
  /** Dependent names per image. */
  dependents: string[][];
  /** The image each upstream tag points at now (replaced when a fault moves the tag). */
  upstreamImages: SynthImage[];
  /** `sourceProxy/repo:tag`: the subject of the image's audit records. */
  subjects: string[];
  /** The layout directory, for a layout round. */
  layoutDir: string;
}

/** Pushes the round's images upstream and writes its basegate.yaml. */
export async function setUpRound(world: FaultWorld, plan: RoundPlan): Promise<RoundSetup> {
  const id = plan.seed.toString(36);
  const dir = fs.mkdtempSync(path.join(world.dir, `r${plan.round}-`));
  const tag = 'stable';
  const sourceRepos = plan.images.map((i) => `faults/s${id}-${i.index}`);
  const targetRepos = plan.images.map((i) => `base/f${id}-${i.index}`);
  const dependents = plan.images.map((i) => Array.from({ length: i.dependents }, (_, j) => `app-${id}-${i.index}-${j}`));
  const upstreamImages = plan.images.map((i) =>
    synthImage({
      seed: `${plan.seed}-${i.index}`,
      platforms: i.platforms,
      layers: i.layers,
      layerSize: i.layerSize,
      format: i.format,
      baseLayer: plan.sharedBase ? { seed: `${plan.seed}-base`, size: 900 } : undefined,
    }),
  );
  await Promise.all(upstreamImages.map((image, n) => pushImage(world.upstream, sourceRepos[n], [tag], image)));
  const configFile = path.join(dir, 'basegate.yaml');
  fs.writeFileSync(configFile, configText(world, plan, { tag, sourceRepos, targetRepos, dependents }));
  return {
    plan,
    dir,
    configFile,
    stateFile: path.join(dir, '.basegate', 'state.json'),
    tag,
    sourceRepos,
    targetRepos,
    dependents,
    upstreamImages,
    subjects: sourceRepos.map((repo) => `${world.sourceProxy.host}/${repo}:${tag}`),
    layoutDir: path.join(dir, 'layout'),
  };
}

/** Pushes another image under the round's tag of image `n` upstream (the tag moves). */
export async function moveTag(world: FaultWorld, setup: RoundSetup, n: number): Promise<void> {
  const i = setup.plan.images[n];
  const moved = synthImage({ seed: `${setup.plan.seed}-${n}-moved`, platforms: i.platforms, layers: 1, layerSize: 700, format: i.format });
  await pushImage(world.upstream, setup.sourceRepos[n], [setup.tag], moved);
  setup.upstreamImages[n] = moved;
}

function configText(world: FaultWorld, plan: RoundPlan, s: Pick<RoundSetup, 'tag' | 'sourceRepos' | 'targetRepos' | 'dependents'>): string {
  const hooks = (n: number) =>
    s.dependents[n].flatMap((name) => [
      `      - name: ${name}`,
      '        webhook:',
      `          url: "${world.receiver.url}/hooks/${name}"`,
      '          secret: ${FAULT_HOOK_SECRET}',
      '          headers: { Authorization: "Bearer ${FAULT_HOOK_TOKEN}" }',
    ]);
  return [
    'registries:',
    `  "${world.targetProxy.host}":`,
    `    username: ${world.secrets.registryUser}`,
    '    password: ${FAULT_REGISTRY_PASSWORD}',
    'target:',
    plan.target === 'layout' ? '  layout: ./layout' : `  registry: "${world.targetProxy.host}"`,
    'images:',
    ...plan.images.flatMap((i) => [
      `  - source: ${world.sourceProxy.host}/${s.sourceRepos[i.index]}`,
      `    tags: ["${s.tag}"]`,
      `    repository: ${s.targetRepos[i.index]}`,
      '    dependents:',
      ...hooks(i.index),
    ]),
    '',
  ].join('\n');
}
