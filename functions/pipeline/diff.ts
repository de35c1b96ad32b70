/**
 * What changed between two digests of one image: platforms added and removed, per platform the
 * compressed size (config + layers, what a pull transfers) and its delta, layers shared and new,
 * and config changes (labels, `org.opencontainers.image.version`/`revision`/`source` first, then
 * env, entrypoint, cmd, user, created), plus the vulnerability delta when a scan is known.
 *
 * It reads both images through {@link ImageInspector}s (lazy, verified reads over the Registry
 * port; attestation entries are not platforms). A platform whose manifest digest did not change is
 * `unchanged` without reading its config. Everything is bounded ({@link DIFF_LIMITS}), so the
 * summary fits a verdict record; {@link briefDiff} is smaller still, for a queue message.
 *
 * `basegate diff` prints it, every verdict held for approval carries it, the console shows it.
 */
import type { ImageInspector, PlatformImage } from './gate-port';
import type { VulnerabilitySummary } from './vulnerability-summary';

/** One config field that differs; `from` absent: added, `to` absent: removed. */
export interface ConfigChange {
  /** `label:<name>`, `env:<NAME>`, `entrypoint`, `cmd`, `user` or `created`. */
  field: string;
  from?: string;
  to?: string;
}

/** One platform's change. */
export interface PlatformDiff {
  platform: string;
  change: 'added' | 'removed' | 'changed' | 'unchanged';
  /** Compressed bytes before and after (absent on the side the platform is missing from). */
  size: { from?: number; to?: number; delta: number };
  /** Layers of `to` found in `from` (shared) or not (added), and layers of `from` gone (removed). */
  layers: { shared: number; added: number; removed: number; addedBytes: number };
  config: ConfigChange[];
  /** More config changes than {@link DIFF_LIMITS.configChanges} were found; the rest are left out. */
  configTruncated?: boolean;
}

/** The summary of what changed from one digest to another (stable: the console and the HTTP API show it). */
export interface DigestDiff {
  /** Digest compared from; absent when there is nothing to compare with (nothing promoted yet). */
  from?: string;
  to: string;
  platforms: { added: string[]; removed: string[]; kept: string[] };
  /** Added and changed platforms first, then removed, then unchanged. */
  perPlatform: PlatformDiff[];
  /** More platforms than {@link DIFF_LIMITS.platforms}; the rest are left out. */
  platformsTruncated?: boolean;
  /** The candidate's vulnerability delta, when the `vulnerabilities` gate judged it. */
  vulnerabilities?: VulnerabilitySummary;
}

/** Bounds of a {@link DigestDiff}. */
export const DIFF_LIMITS = {
  /** Platforms listed: real images have a dozen at most. */
  platforms: 32,
  /** Config changes per platform: a label or env storm should not bloat a verdict (a state record holds ~450 KB). */
  configChanges: 24,
  /** Characters of one config value. */
  value: 120,
} as const;

/** Labels a person looks at first (image-spec annotations, https://github.com/opencontainers/image-spec/blob/main/annotations.md). */
const LEADING_LABELS = ['org.opencontainers.image.version', 'org.opencontainers.image.revision', 'org.opencontainers.image.source'];

/** The two sides: `from` undefined when nothing is promoted yet. */
export interface DiffInput {
  from?: { digest: string; inspector: ImageInspector };
  to: { digest: string; inspector: ImageInspector };
  vulnerabilities?: VulnerabilitySummary;
}

/** Computes the {@link DigestDiff} of two digests (see the module comment). */
export async function diffDigests(input: DiffInput): Promise<DigestDiff> {
  const [before, after] = await Promise.all([input.from ? input.from.inspector.platforms() : Promise.resolve([]), input.to.inspector.platforms()]);
  const byName = (list: PlatformImage[]) => new Map(list.map((p) => [p.platform, p]));
  const old = byName(before);
  const now = byName(after);
  const added = [...now.keys()].filter((p) => !old.has(p)).sort();
  const removed = [...old.keys()].filter((p) => !now.has(p)).sort();
  const kept = [...now.keys()].filter((p) => old.has(p)).sort();
  const allOldLayers = new Set(before.flatMap((p) => p.manifest.layers.map((l) => l.digest)));

  const changes = await Promise.all([
    ...added.map((p) => platformDiff(p, undefined, now.get(p), input, allOldLayers)),
    ...kept.map((p) => platformDiff(p, old.get(p), now.get(p), input, allOldLayers)),
    ...removed.map((p) => platformDiff(p, old.get(p), undefined, input, allOldLayers)),
  ]);
  const order = { added: 0, changed: 0, removed: 1, unchanged: 2 } as const;
  const perPlatform = changes.sort((a, b) => order[a.change] - order[b.change]);
  return {
    ...(input.from ? { from: input.from.digest } : {}),
    to: input.to.digest,
    platforms: { added, removed, kept },
    perPlatform: perPlatform.slice(0, DIFF_LIMITS.platforms),
    ...(perPlatform.length > DIFF_LIMITS.platforms ? { platformsTruncated: true } : {}),
    ...(input.vulnerabilities ? { vulnerabilities: input.vulnerabilities } : {}),
  };
}

async function platformDiff(platform: string, from: PlatformImage | undefined, to: PlatformImage | undefined, input: DiffInput, allOldLayers: Set<string>): Promise<PlatformDiff> {
  const sizeFrom = from && compressedSize(from);
  const sizeTo = to && compressedSize(to);
  const size = { ...(sizeFrom === undefined ? {} : { from: sizeFrom }), ...(sizeTo === undefined ? {} : { to: sizeTo }), delta: (sizeTo ?? 0) - (sizeFrom ?? 0) };
  // A new platform is compared with every layer of the old image: a base layer may be shared across platforms.
  const oldLayers = from ? new Set(from.manifest.layers.map((l) => l.digest)) : allOldLayers;
  const newLayers = to?.manifest.layers ?? [];
  const fresh = newLayers.filter((l) => !oldLayers.has(l.digest));
  const layers = {
    shared: newLayers.length - fresh.length,
    added: fresh.length,
    removed: from ? from.manifest.layers.filter((l) => !newLayers.some((n) => n.digest === l.digest)).length : 0,
    addedBytes: fresh.reduce((sum, l) => sum + l.size, 0),
  };
  if (!from || !to) return { platform, change: from ? 'removed' : 'added', size, layers, config: [] };
  if (from.descriptor.digest === to.descriptor.digest) return { platform, change: 'unchanged', size, layers, config: [] };
  const [a, b] = await Promise.all([input.from!.inspector.config(from), input.to.inspector.config(to)]);
  const config = configChanges(a, b);
  return {
    platform,
    change: 'changed',
    size,
    layers,
    config: config.slice(0, DIFF_LIMITS.configChanges),
    ...(config.length > DIFF_LIMITS.configChanges ? { configTruncated: true } : {}),
  };
}

function compressedSize(image: PlatformImage): number {
  return image.manifest.config.size + image.manifest.layers.reduce((sum, l) => sum + l.size, 0);
}

/** The config fields a diff compares, as strings (arrays as JSON). */
function configFields(config: Record<string, unknown>): Map<string, string> {
  const inner = (isRecord(config.config) ? config.config : {}) as Record<string, unknown>;
  const out = new Map<string, string>();
  const labels = isRecord(inner.Labels) ? inner.Labels : {};
  const names = Object.keys(labels).sort((x, y) => leading(x) - leading(y) || x.localeCompare(y));
  for (const name of names) out.set(`label:${name}`, text(labels[name]));
  const env = Array.isArray(inner.Env) ? inner.Env.filter((e): e is string => typeof e === 'string') : [];
  for (const entry of [...env].sort()) {
    const eq = entry.indexOf('=');
    out.set(`env:${eq < 0 ? entry : entry.slice(0, eq)}`, eq < 0 ? '' : entry.slice(eq + 1));
  }
  for (const [field, key] of [['entrypoint', 'Entrypoint'], ['cmd', 'Cmd'], ['user', 'User']] as const) {
    if (inner[key] !== undefined && inner[key] !== null) out.set(field, text(inner[key]));
  }
  if (typeof config.created === 'string') out.set('created', config.created);
  return out;
}

/** Changed fields in the order {@link configFields} lists them (`to`'s order, then what `from` alone had). */
function configChanges(from: Record<string, unknown>, to: Record<string, unknown>): ConfigChange[] {
  const a = configFields(from);
  const b = configFields(to);
  const fields = [...b.keys(), ...[...a.keys()].filter((k) => !b.has(k))];
  const rank = (f: string) => (f.startsWith('label:') ? 0 : f.startsWith('env:') ? 1 : 2);
  fields.sort((x, y) => rank(x) - rank(y) || (rank(x) === 0 ? leading(x.slice(6)) - leading(y.slice(6)) : 0));
  const out: ConfigChange[] = [];
  for (const field of fields) {
    const was = a.get(field);
    const is = b.get(field);
    if (was === is) continue;
    out.push({ field, ...(was === undefined ? {} : { from: clip(was) }), ...(is === undefined ? {} : { to: clip(is) }) });
  }
  return out;
}

function leading(label: string): number {
  const i = LEADING_LABELS.indexOf(label);
  return i < 0 ? LEADING_LABELS.length : i;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function clip(value: string): string {
  return value.length > DIFF_LIMITS.value ? `${value.slice(0, DIFF_LIMITS.value)}...` : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The part of a diff a rebuild event carries: small enough for any queue message. */
export interface DiffBrief {
  from?: string;
  to: string;
  platformsAdded: string[];
  platformsRemoved: string[];
  /** Sum of the per-platform compressed size deltas, in bytes. */
  sizeDelta: number;
  layersAdded: number;
  /** Changes of the leading OCI labels (version, revision, source), from the first changed platform. */
  labels: ConfigChange[];
  /** New findings by severity, when scanned. */
  vulnerabilitiesAdded?: Record<string, number>;
}

/** Bounds a diff to what a rebuild event carries (a few hundred bytes). */
export function briefDiff(diff: DigestDiff): DiffBrief {
  const cap = <T>(list: T[]) => list.slice(0, 8);
  const changed = diff.perPlatform.find((p) => p.change === 'changed');
  const labels = (changed?.config ?? []).filter((c) => LEADING_LABELS.includes(c.field.slice(6)) && c.field.startsWith('label:'));
  const scan = diff.vulnerabilities;
  return {
    ...(diff.from ? { from: diff.from } : {}),
    to: diff.to,
    platformsAdded: cap(diff.platforms.added),
    platformsRemoved: cap(diff.platforms.removed),
    sizeDelta: diff.perPlatform.reduce((sum, p) => sum + p.size.delta, 0),
    layersAdded: diff.perPlatform.reduce((sum, p) => sum + p.layers.added, 0),
    labels: labels.map((c) => ({ field: c.field, ...(c.from === undefined ? {} : { from: c.from.slice(0, 80) }), ...(c.to === undefined ? {} : { to: c.to.slice(0, 80) }) })),
    ...(scan ? { vulnerabilitiesAdded: Object.fromEntries(Object.entries(scan.addedCounts).filter(([, n]) => n > 0)) } : {}),
  };
}
