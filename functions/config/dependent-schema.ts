/**
 * The `dependents:` section (issue #6): who is told to rebuild when a digest is promoted.
 * Each entry is exactly one kind (`webhook`, `acrTask`, `githubDispatch`, `azurePipelines`,
 * `discover`) plus an optional `name`, its id in state and status.
 */
import { z } from 'zod';
import { redactUrl } from '../errors';
import { httpsUrlField, matching, registryResourceIdField, text } from './schema-fields';

/** Loopback hosts may be reached over plain http, like docker's insecure-registry default. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const webhook = z
  .strictObject({
    url: z.string(),
    /** HMAC-SHA256 key for `X-Basegate-Signature`. */
    secret: text.optional(),
    headers: z.record(text, z.string()).optional(),
    /** Allows plain http to a host that is not loopback. */
    insecure: z.boolean().optional(),
  })
  .superRefine((hook, ctx) => {
    const problem = webhookUrlProblem(hook.url, hook.insecure === true);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: hook.url, path: ['url'], params: { complete: true } });
  });

/** Why a webhook URL is refused, or undefined when it is acceptable. */
export function webhookUrlProblem(url: string, insecure: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `expected an https:// URL, found ${JSON.stringify(redactUrl(url))}`;
  }
  if (parsed.username || parsed.password) return 'expected a URL without credentials (put them in headers or secret)';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && (insecure || isLoopbackHost(parsed.hostname))) return undefined;
  if (parsed.protocol === 'http:') {
    return `expected an https:// URL (plain http only to a loopback host or with insecure: true), found http://${parsed.host}`;
  }
  return `expected an https:// URL, found a ${parsed.protocol} URL`;
}

const acrTask = z.strictObject({
  registry: registryResourceIdField,
  task: text,
  /** Name of the argument that receives the promoted base image reference. */
  argument: text.optional(),
});

const githubDispatch = z.strictObject({
  repository: matching(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/repository'),
  eventType: text,
  token: text.optional(),
  /** Key Vault secret URL holding the token (Azure). */
  tokenSecret: httpsUrlField.optional(),
  /** GitHub Enterprise Server API base. */
  apiUrl: httpsUrlField.optional(),
});

const azurePipelines = z.strictObject({
  organization: text,
  project: text,
  pipelineId: z.int().min(1),
  token: text.optional(),
  tokenSecret: httpsUrlField.optional(),
  /** Branch to run (`refs/heads/main`); the pipeline's default when absent. */
  branch: text.optional(),
  /** Azure DevOps Server base URL. */
  url: httpsUrlField.optional(),
});

const discover = z.strictObject({
  registry: registryResourceIdField,
  /** auto: a task with its own enabled base-image trigger is left to ACR; always: schedule it anyway. */
  schedule: z.enum(['auto', 'always']).optional(),
});

/** The kinds of dependent, in the order they are documented. */
export const DEPENDENT_KINDS = ['webhook', 'acrTask', 'githubDispatch', 'azurePipelines', 'discover'] as const;

/** One entry of `dependents:`. */
export const dependentSchema = z
  .strictObject({
    name: matching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'a name of letters, digits, _ . : - (at most 128)').optional(),
    webhook: webhook.optional(),
    acrTask: acrTask.optional(),
    githubDispatch: githubDispatch.optional(),
    azurePipelines: azurePipelines.optional(),
    discover: discover.optional(),
  })
  .superRefine((entry, ctx) => {
    const kinds = DEPENDENT_KINDS.filter((k) => entry[k] !== undefined);
    if (kinds.length !== 1) {
      const what = `exactly one of ${DEPENDENT_KINDS.join(', ')}`;
      ctx.issues.push({ code: 'custom', message: `expected ${what}, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`, input: entry, params: { complete: true } });
    }
    for (const kind of ['githubDispatch', 'azurePipelines'] as const) {
      const d = entry[kind];
      if (d && (d.token === undefined) === (d.tokenSecret === undefined)) {
        ctx.issues.push({ code: 'custom', message: 'expected exactly one of token or tokenSecret', input: d, path: [kind], params: { complete: true } });
      }
    }
  });

/** A dependent as written. */
export type DependentDocument = z.output<typeof dependentSchema>;
