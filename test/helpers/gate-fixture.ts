/**
 * What the gate tests share: a real registry client on the shared anonymous registry, the file
 * state store, a clock the test moves, images seeded independently of the code under test, and one
 * call of the real validate stage (`validateDigest`) over real gates and the real inspector.
 */
import { CLOSURE_LIMITS } from '../../functions/oci/closure';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createImageInspector } from '../../functions/gates/image-inspector';
import { ImageRef } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import type { Gate } from '../../functions/pipeline/gate-port';
import type { Clock, StateStore } from '../../functions/pipeline/ports';
import { tagKey, type Approval, type TagState, type Verdict } from '../../functions/pipeline/records';
import type { TrackedImage } from '../../functions/pipeline/tracked-image';
import { validateDigest } from '../../functions/pipeline/validate';
import { FileStateStore } from '../../functions/state/file-state-store';
import { digestKey } from '../../functions/pipeline/records';
import { pushImage, synthImage, type SynthImage, type SynthOptions } from './image-synth';
import { rawPushBlob, rawPushManifest, rawRequest, sha256, type RawTarget } from './raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';

/** A clock the test sets and moves. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date): void {
    this.current = at;
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface Seeded {
  repo: string;
  /** Source repository (no tag). */
  source: ImageRef;
  tag: string;
  digest: string;
  image?: SynthImage;
}

export interface GateHarness {
  target: RawTarget;
  registry: RemoteRegistry;
  state: StateStore;
  clock: ManualClock;
  close(): Promise<void>;
}

/** A harness on the shared anonymous registry with a fresh file state store; `close()` in afterAll. */
export async function gateHarness(now = new Date('2026-02-01T00:00:00Z')): Promise<GateHarness> {
  const target = { host: testEnv().registries.anonymous.host };
  const registry = new RemoteRegistry({ retry: { maxAttempts: 1 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gates-state-'));
  const state = await FileStateStore.open(path.join(dir, 'state.json'));
  const close = async (): Promise<void> => {
    await state.close();
    await registry.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { target, registry, state, clock: new ManualClock(now), close };
}

/** Pushes a synthesised image under `tag` into a fresh repository. */
export async function seed(h: GateHarness, options: SynthOptions, tag = 'v1'): Promise<Seeded> {
  const repo = uniqueRepo('gates');
  const image = synthImage(options);
  await pushImage(h.target, repo, [tag], image);
  return { repo, source: ImageRef.of({ registry: h.target.host, repository: repo }), tag, digest: image.digest, image };
}

/** Pushes a single-platform image whose config is exactly `config` (to leave fields out). */
export async function seedWithConfig(h: GateHarness, config: Record<string, unknown>, tag = 'v1'): Promise<Seeded> {
  const repo = uniqueRepo('gates');
  const configBytes = Buffer.from(JSON.stringify(config));
  const layer = Buffer.from(`layer of ${repo}`);
  await rawPushBlob(h.target, repo, configBytes);
  await rawPushBlob(h.target, repo, layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const digest = await rawPushManifest(h.target, repo, tag, 'application/vnd.oci.image.manifest.v1+json', manifest);
  return { repo, source: ImageRef.of({ registry: h.target.host, repository: repo }), tag, digest };
}

/** Deletes a manifest or blob from the registry (by digest), to break an image on purpose. */
export async function rawDelete(h: GateHarness, repo: string, kind: 'manifests' | 'blobs', digest: string): Promise<void> {
  const res = await rawRequest(h.target, repo, 'DELETE', `/v2/${repo}/${kind}/${digest}`);
  if (res.status !== 202) throw new Error(`delete ${kind}/${digest}: ${res.status} ${res.body}`);
}

/** The pipeline's view of a seeded image. */
export function tracked(seeded: Seeded, extra: { platforms?: string[]; fingerprint?: string } = {}): TrackedImage {
  return {
    id: `${seeded.source.name}→base/${seeded.repo}`,
    source: seeded.source,
    target: ImageRef.of({ registry: '127.0.0.1:1', repository: `base/${seeded.repo}` }),
    tags: [seeded.tag],
    isImmutableTag: () => false,
    platforms: extra.platforms,
    immutableTag: (tag, digest) => `${tag}-${digest.slice(7, 19)}`,
    gatesFingerprint: extra.fingerprint ?? 'fp-1',
    closureLimits: CLOSURE_LIMITS,
    dependents: [],
  };
}

/** Runs the real validate stage on the seeded digest with `gates`. */
export function validate(h: GateHarness, image: TrackedImage, seeded: Seeded, gates: Gate[], options: { force?: boolean; signal?: AbortSignal } = {}): Promise<Verdict> {
  return validateDigest(
    { image, tag: seeded.tag, digest: seeded.digest, force: options.force },
    {
      state: h.state,
      clock: h.clock,
      gatesFor: () => gates,
      // As the OCI copy promotes: the image's platforms, its closure bounds.
      inspect: (job) => createImageInspector(h.registry, job.image.source.withTag(job.tag).withDigest(job.digest), { platforms: job.image.platforms, limits: job.image.closureLimits }),
      signal: options.signal,
    },
  );
}

/** Records that detect first saw the digest at `at` (what cooldown reads). */
export async function recordFirstSeen(h: GateHarness, image: TrackedImage, seeded: Seeded, at: Date): Promise<void> {
  const value: TagState = { imageId: image.id, source: seeded.source.withTag(seeded.tag).toString(), tag: seeded.tag, target: image.target.toString(), seenDigest: seeded.digest, firstSeen: [{ digest: seeded.digest, at: at.toISOString() }], status: 'new' };
  await h.state.put('tag', tagKey(image.id, seeded.tag), value);
}

/** Records a person's decision on the digest. */
export async function recordApproval(h: GateHarness, image: TrackedImage, seeded: Seeded, approval: Approval): Promise<void> {
  await h.state.put('approval', digestKey(image.id, seeded.digest), approval);
}

/** The audit entries of the validate stage for the seeded digest. */
export async function validateAudit(h: GateHarness, seeded: Seeded) {
  const subject = seeded.source.withTag(seeded.tag).withDigest(seeded.digest).toString();
  return (await h.state.listAudit({ subject })).filter((a) => a.stage === 'validate');
}

/** The result of one gate in a verdict (throws when absent, so a test cannot pass on a missing gate). */
export function gateResult(verdict: Verdict, gate: string) {
  const found = verdict.gates.find((g) => g.gate === gate);
  if (!found) throw new Error(`no result for gate ${gate} in ${JSON.stringify(verdict.gates)}`);
  return found;
}
