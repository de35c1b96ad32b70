/**
 * The seeded schedule of the fault rounds: which small images a round promotes and which
 * faults it injects where. Pure data from one seed, so a failing round is replayed exactly
 * with `BASEGATE_FAULT_SEED=<its seed> BASEGATE_FAULT_ROUNDS=1`.
 *
 * Each round has one primary fault, taken in turn from {@link FAULT_KINDS} so that even the
 * short form of the suite injects every kind, plus up to two transient extras drawn at random.
 * Transient faults act a bounded number of times: a re-run of sync must heal them. Only the
 * `persistent` kind acts forever, on one image, which must then end `failed` with a reason.
 */
import { seededRandom } from '../helpers/fault-proxy';

/** Every fault the rounds inject, as named in the closing table. */
export const FAULT_KINDS = [
  'kill mid-promotion',
  '429 + Retry-After',
  '429 no Retry-After',
  '5xx',
  'reset mid-body',
  'truncated body',
  'slow headers',
  'stalled body',
  'corrupt blob',
  'corrupt manifest',
  'lying digest header',
  'lost ack',
  'tag moved',
  'persistent failure',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Which requests a fault matches (by side of the proxy pair). */
export type RequestClass =
  | 'source-head-manifest'
  | 'source-get-manifest'
  | 'source-get-blob'
  | 'target-head'
  | 'target-upload'
  | 'target-put-manifest';

export interface PlannedImage {
  index: number;
  /** One platform makes a single manifest; two make an index. */
  platforms: string[];
  layers: number;
  layerSize: number;
  format: 'oci' | 'docker';
  dependents: number;
}

export interface PlannedFault {
  kind: FaultKind;
  /** The image whose requests it matches. */
  image: number;
  on: RequestClass;
  /** Acts on the nth matching request (1-based) and the `times - 1` after it. */
  nth: number;
  times: number;
  /** Kind-specific: a status, a byte offset, a Retry-After in seconds. */
  param: number;
}

export interface RoundPlan {
  round: number;
  seed: number;
  images: PlannedImage[];
  /** All images share a base layer (blob mounts across target repositories). */
  sharedBase: boolean;
  faults: PlannedFault[];
  /** The first sync runs as a child `basegate` process that is killed mid-promotion. */
  childRun: boolean;
  /**
   * Where images are promoted: the target registry behind its proxy, or an OCI layout that
   * basegate writes itself (then only the upstream side has faults, and a corrupt or partial
   * file there could only come from basegate, not be refused by a registry).
   */
  target: 'registry' | 'layout';
}

/** The seed of round `i` given the run's base seed (round 0 uses the base seed itself, for replays). */
export function roundSeed(base: number, round: number): number {
  return (base + Math.imul(round, 0x9e3779b9)) >>> 0;
}

/** Blobs one image has: per platform a config and its layers (the shared base layer included). */
function blobCount(image: PlannedImage, sharedBase: boolean): number {
  return image.platforms.length * (image.layers + 1 + (sharedBase ? 1 : 0));
}

/** Manifests one image has: an index and its children, or a single manifest. */
function manifestCount(image: PlannedImage): number {
  return image.platforms.length > 1 ? image.platforms.length + 1 : 1;
}

/** How many requests of a class one clean promotion of the image makes, roughly: nth is drawn below it so faults fire. */
function requestsOf(image: PlannedImage, sharedBase: boolean, on: RequestClass): number {
  const blobs = blobCount(image, sharedBase);
  const manifests = manifestCount(image);
  switch (on) {
    case 'source-head-manifest':
      return 1;
    case 'source-get-manifest':
      return manifests;
    case 'source-get-blob':
      return blobs;
    case 'target-head':
      return manifests + blobs;
    case 'target-upload':
      return 2 * blobs;
    case 'target-put-manifest':
      return manifests + 2;
  }
}

/** Request classes each kind can act on. */
const PLACES: Record<FaultKind, RequestClass[]> = {
  'kill mid-promotion': ['target-upload', 'target-put-manifest'],
  '429 + Retry-After': ['source-head-manifest', 'source-get-manifest', 'source-get-blob', 'target-head', 'target-put-manifest'],
  '429 no Retry-After': ['source-head-manifest', 'source-get-manifest', 'source-get-blob', 'target-head', 'target-upload', 'target-put-manifest'],
  '5xx': ['source-head-manifest', 'source-get-manifest', 'source-get-blob', 'target-head', 'target-upload', 'target-put-manifest'],
  'reset mid-body': ['source-get-manifest', 'source-get-blob'],
  'truncated body': ['source-get-manifest', 'source-get-blob'],
  'slow headers': ['source-head-manifest', 'source-get-blob', 'target-head', 'target-put-manifest'],
  'stalled body': ['source-get-manifest', 'source-get-blob'],
  'corrupt blob': ['source-get-blob'],
  'corrupt manifest': ['source-get-manifest'],
  'lying digest header': ['source-head-manifest'],
  'lost ack': ['target-upload', 'target-put-manifest'],
  'tag moved': ['source-get-manifest'],
  'persistent failure': ['source-head-manifest', 'source-get-manifest', 'source-get-blob'],
};

/** Kinds that act once: a process is killed once, a tag moves once, a long Retry-After is waited once. */
const ONCE = new Set<FaultKind>(['kill mid-promotion', 'tag moved', '429 + Retry-After']);

/** Kinds that may be drawn as extras: the kill and the persistent failure only come as a round's primary. */
const EXTRAS = FAULT_KINDS.filter((k) => k !== 'kill mid-promotion' && k !== 'persistent failure' && k !== 'tag moved');

const SOURCE_SIDE = (on: RequestClass) => on.startsWith('source-');

/** Where a kind may act in a round with this target: a layout has no target-side requests. */
function placesFor(kind: FaultKind, target: RoundPlan['target']): RequestClass[] {
  if (target === 'registry') return PLACES[kind];
  const source = PLACES[kind].filter(SOURCE_SIDE);
  return source.length > 0 ? source : ['source-get-blob']; // a kill or a lost answer while the layout is being written
}

/** The plan of one round. */
export function planRound(round: number, seed: number): RoundPlan {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const images: PlannedImage[] = Array.from({ length: int(1, 3) }, (_, index) => ({
    index,
    platforms: random() < 0.5 ? ['linux/amd64'] : ['linux/amd64', 'linux/arm64'],
    layers: int(1, 2),
    layerSize: int(600, 3000),
    format: random() < 0.75 ? 'oci' : 'docker',
    dependents: int(1, 2),
  }));
  const sharedBase = images.length > 1 && random() < 0.5;
  // Every third round writes a layout; with 14 kinds in turn, each kind meets both targets within 42 rounds.
  const target: RoundPlan['target'] = round % 3 === 2 ? 'layout' : 'registry';
  const fault = (kind: FaultKind, primary: boolean, among = images): PlannedFault => {
    const image = pick(among);
    const on = pick(placesFor(kind, target));
    const nth = primary ? int(1, Math.max(1, Math.min(3, requestsOf(image, sharedBase, on)))) : int(1, requestsOf(image, sharedBase, on));
    return { kind, image: image.index, on, nth, times: kind === 'persistent failure' ? Number.POSITIVE_INFINITY : ONCE.has(kind) ? 1 : int(1, 2), param: paramOf(kind, random) };
  };
  const primary = FAULT_KINDS[round % FAULT_KINDS.length];
  const faults = [fault(primary, true)];
  // A kill must land in the child's run: an extra fault on the same image could fail that image before the request the kill waits for.
  const extraImages = primary === 'kill mid-promotion' ? images.filter((i) => i.index !== faults[0].image) : images;
  for (let i = extraImages.length > 0 ? int(0, 2) : 0; i > 0; i--) faults.push(fault(pick(EXTRAS), false, extraImages));
  return { round, seed, images, sharedBase, faults, childRun: primary === 'kill mid-promotion', target };
}

function paramOf(kind: FaultKind, random: () => number): number {
  switch (kind) {
    case '429 + Retry-After': {
      // 0 and 1 s are waited out in-process; 3 s exceeds maxRetryAfterMs and goes up as a temporary failure.
      const r = random();
      return r < 0.4 ? 0 : r < 0.7 ? 1 : 3;
    }
    case '5xx':
      return [500, 502, 503][Math.floor(random() * 3)];
    case 'persistent failure':
      return [503, 0][Math.floor(random() * 2)]; // 0: corrupt every time
    default:
      // A byte offset inside the smallest body matched (manifests are a few hundred bytes).
      return Math.floor(random() * 200);
  }
}
