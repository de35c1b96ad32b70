/** The text form of a {@link DigestDiff} (`basegate diff` without --json): one block per platform, changes indented under it. */
import { formatBytes } from '../gates/human-units';
import { briefDiff, type ConfigChange, type DigestDiff, type PlatformDiff } from '../pipeline/diff';
import { SEVERITIES, type VulnerabilitySummary } from '../pipeline/vulnerability-summary';
import { shortDigest } from './output';

/** Renders the diff of `image` (the reference with tag) for a terminal. */
export function formatDiff(diff: DigestDiff & { image: string }): string {
  const lines = [`${diff.image}  ${diff.from ? shortDigest(diff.from) : '(nothing promoted)'} -> ${shortDigest(diff.to)}`];
  lines.push(`platforms added: ${diff.platforms.added.join(', ') || 'none'}; removed: ${diff.platforms.removed.join(', ') || 'none'}; kept: ${diff.platforms.kept.length}`);
  for (const p of diff.perPlatform) {
    lines.push(`${p.platform}  ${p.change}  ${sizeText(p)}  layers: ${p.layers.shared} shared, ${p.layers.added} new (${formatBytes(p.layers.addedBytes)}), ${p.layers.removed} removed`);
    for (const c of p.config) lines.push(`    ${changeText(c)}`);
    if (p.configTruncated) lines.push('    (more config changes left out)');
  }
  if (diff.platformsTruncated) lines.push('(more platforms left out)');
  if (diff.vulnerabilities) lines.push(...vulnerabilityLines(diff.vulnerabilities));
  return lines.join('\n');
}

/** One line: platforms added and removed, new layers and size, the leading label changes. */
export function diffLine(diff: DigestDiff): string {
  const brief = briefDiff(diff);
  const parts = [
    ...brief.platformsAdded.map((p) => `+${p}`),
    ...brief.platformsRemoved.map((p) => `-${p}`),
    `${brief.layersAdded} new layer${brief.layersAdded === 1 ? '' : 's'}`,
    `${brief.sizeDelta < 0 ? '-' : '+'}${formatBytes(Math.abs(brief.sizeDelta))}`,
    ...brief.labels.map(changeText),
  ];
  return parts.join(', ');
}

function sizeText(p: PlatformDiff): string {
  const { from, to, delta } = p.size;
  if (from === undefined) return formatBytes(to ?? 0);
  if (to === undefined) return `${formatBytes(from)} gone`;
  return `${formatBytes(from)} -> ${formatBytes(to)} (${delta < 0 ? '-' : '+'}${formatBytes(Math.abs(delta))})`;
}

function changeText(c: ConfigChange): string {
  const [kind, ...rest] = c.field.split(':');
  const name = rest.length ? `${kind} ${rest.join(':')}` : kind;
  if (c.from === undefined) return `${name}: added ${JSON.stringify(c.to)}`;
  if (c.to === undefined) return `${name}: removed (was ${JSON.stringify(c.from)})`;
  return `${name}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`;
}

/** A scan summary in a few lines: counts, then new and fixed ids. */
export function vulnerabilityLines(v: VulnerabilitySummary): string[] {
  const counts = SEVERITIES.filter((s) => v.counts[s] > 0).map((s) => `${v.counts[s]} ${s}`).join(', ') || 'none';
  const lines = [`vulnerabilities (${v.format}): ${counts}${v.baseline ? '' : ' (nothing promoted to compare with: all new)'}`];
  if (v.addedTotal) lines.push(`    new: ${v.added.map((f) => `${f.id} (${f.severity}, ${f.package})`).join(', ')}${v.addedTotal > v.added.length ? ` and ${v.addedTotal - v.added.length} more` : ''}`);
  if (v.fixedTotal) lines.push(`    fixed: ${v.fixed.map((f) => f.id).join(', ')}${v.fixedTotal > v.fixed.length ? ` and ${v.fixedTotal - v.fixed.length} more` : ''}`);
  return lines;
}
