/**
 * Dependents resolved: `defaults.dependents` then the image's own, each with a stable id
 * (its `name:`, else derived from kind and target) that is unique within the image, since
 * rebuilds are recorded per (promoted digest, dependent id).
 */
import { redactUrl } from '../errors';
import type { DependentConfig } from './config';
import type { PathSegment } from './config-path';
import { formatPath } from './config-path';
import type { DependentDocument } from './dependent-schema';
import type { ConfigIssue } from './schema-issues';

/** Defaults of dependents. */
const DEFAULTS = {
  /** The build argument Dockerfiles conventionally take their base image from (`ARG BASE_IMAGE`). */
  argument: 'BASE_IMAGE',
  /** Issue #6: a task with its own base-image trigger would otherwise build twice. */
  schedule: 'auto' as const,
  githubApiUrl: 'https://api.github.com',
  azureDevOpsUrl: 'https://dev.azure.com',
};

/** Resolves the listed dependents (each with its document path), reporting duplicate ids. */
export function resolveDependents(entries: Array<{ doc: DependentDocument; path: PathSegment[] }>, issues: ConfigIssue[]): DependentConfig[] {
  const seen = new Map<string, PathSegment[]>();
  const out: DependentConfig[] = [];
  for (const { doc, path } of entries) {
    const dependent = resolveDependent(doc);
    const earlier = seen.get(dependent.id);
    if (earlier) {
      issues.push({ path, message: `expected a dependent id unique within the image, found "${dependent.id}" again (also at ${formatPath(earlier)}); give one of them a name:` });
      continue;
    }
    seen.set(dependent.id, path);
    out.push(dependent);
  }
  return out;
}

function resolveDependent(doc: DependentDocument): DependentConfig {
  if (doc.webhook) {
    const w = doc.webhook;
    return { kind: 'webhook', id: doc.name ?? `webhook:${redactUrl(w.url)}`, url: w.url, secret: w.secret, headers: { ...(w.headers ?? {}) }, insecure: w.insecure ?? false };
  }
  if (doc.acrTask) {
    const t = doc.acrTask;
    return { kind: 'acrTask', id: doc.name ?? `acrTask:${registryName(t.registry)}/${t.task}`, registry: t.registry, task: t.task, argument: t.argument ?? DEFAULTS.argument };
  }
  if (doc.githubDispatch) {
    const g = doc.githubDispatch;
    return {
      kind: 'githubDispatch',
      id: doc.name ?? `githubDispatch:${g.repository}:${g.eventType}`,
      repository: g.repository,
      eventType: g.eventType,
      token: g.token,
      tokenSecret: g.tokenSecret,
      apiUrl: g.apiUrl ?? DEFAULTS.githubApiUrl,
    };
  }
  if (doc.azurePipelines) {
    const p = doc.azurePipelines;
    return {
      kind: 'azurePipelines',
      id: doc.name ?? `azurePipelines:${p.organization}/${p.project}/${p.pipelineId}`,
      organization: p.organization,
      project: p.project,
      pipelineId: p.pipelineId,
      token: p.token,
      tokenSecret: p.tokenSecret,
      branch: p.branch,
      url: p.url ?? DEFAULTS.azureDevOpsUrl,
    };
  }
  // The schema guarantees exactly one kind.
  const d = doc.discover!;
  return { kind: 'discover', id: doc.name ?? `discover:${registryName(d.registry)}`, registry: d.registry, schedule: d.schedule ?? DEFAULTS.schedule };
}

/** The registry name at the end of an ARM resource id. */
export function registryName(resourceId: string): string {
  return resourceId.slice(resourceId.lastIndexOf('/') + 1);
}
