/**
 * Rebuild through Azure Pipelines, per "Runs - Run Pipeline"
 * (https://learn.microsoft.com/rest/api/azure/devops/pipelines/runs/run-pipeline?view=azure-devops-rest-7.1):
 *
 *   POST {baseUrl}/{organization}/{project}/_apis/pipelines/{pipelineId}/runs?api-version=7.1
 *   Authorization: Basic base64(":" + PAT)   or   Bearer <Entra access token>
 *   { "templateParameters": { "<parameter>": "<pinned target reference>" },
 *     "resources": { "repositories": { "self": { "refName": "<branch>" } } } }   (only with a branch)
 *   → 200 with the Run; its `id` is recorded as the run id.
 *
 * Only the one configured parameter is sent: Azure Pipelines refuses a run whose
 * templateParameters name a parameter the YAML does not declare, so sending more would break
 * pipelines that only declare the base image. An unauthenticated call is answered with 203 and a
 * sign-in page rather than 401; it is mapped to `REBUILD_UNAUTHORIZED`.
 */
import { ConfigError } from '../errors';
import type { RebuildEvent, RebuildOutcome } from '../pipeline/ports';
import { httpPost, resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions, type StatusVerdict } from './http-post';
import type { RebuildTrigger, RebuildTriggerCallOptions } from './rebuild-trigger';
import { RebuildTriggerError } from './rebuild-trigger-error';
import { azurePipelinesRunSchema } from './schema';
import { checkTokenSource, readToken, type TokenSource } from './token-source';
import { checkTransportSecurity } from './transport-security';

/** REST API version of the Runs endpoint this trigger speaks. */
export const AZURE_PIPELINES_API_VERSION = '7.1';

const DEFAULTS = {
  /** Azure DevOps Services; an Azure DevOps Server is `https://HOST/tfs` with the collection as organization. */
  baseUrl: 'https://dev.azure.com',
  /** The parameter name the example pipeline declares (`parameters: - name: baseImage`). */
  parameter: 'baseImage',
  /** A PAT is what most pipelines are set up with; Entra tokens are opt-in. */
  tokenType: 'pat',
} as const;

/** Options of {@link AzurePipelinesTrigger}: the `azurePipelines:` entry, the dependent id and the transport. */
export interface AzurePipelinesTriggerOptions {
  id: string;
  organization: string;
  project: string;
  pipelineId: number;
  /** `pat` (Basic `:PAT`, the default) or `bearer` (an Entra access token). */
  tokenType?: 'pat' | 'bearer';
  /** Name of the pipeline's template parameter that receives the pinned target reference. */
  parameter?: string;
  /** Branch to run (`main` or `refs/heads/main`); the pipeline's default branch otherwise. */
  branch?: string;
  /** Service root (config `url`): Azure DevOps Services, an Azure DevOps Server, or a test stand-in. */
  baseUrl?: string;
  /** A PAT with Build (read & execute), or an Entra access token (tokenType `bearer`), or a function returning one. */
  token: TokenSource;
  /** Allow plain http to a non-loopback `baseUrl` (an on-premises server without TLS). */
  insecure?: boolean;
  http?: HttpOptions;
}

/** {@link AzurePipelinesTriggerOptions} checked and with defaults. */
export interface ResolvedAzurePipelinesTriggerOptions {
  id: string;
  /** The full runs endpoint, with api-version. */
  url: URL;
  token: TokenSource;
  tokenType: 'pat' | 'bearer';
  parameter: string;
  branch: string | undefined;
  http: ResolvedHttpOptions;
}

/** Checks organization, project, pipeline id, token, parameter and branch; builds the endpoint URL. */
export function resolveAzurePipelinesTriggerOptions(options: AzurePipelinesTriggerOptions): ResolvedAzurePipelinesTriggerOptions {
  const where = `azurePipelines ${options.id}`;
  const invalid = (message: string) => new ConfigError(`${where}: ${message}`, { code: 'REBUILD_CONFIG_INVALID' });
  for (const key of ['organization', 'project'] as const) {
    if (typeof options[key] !== 'string' || options[key].trim() === '' || options[key].includes('/')) throw invalid(`${key} must be a non-empty name without '/'`);
  }
  if (!Number.isInteger(options.pipelineId) || options.pipelineId <= 0) throw invalid(`pipelineId must be a positive integer, got ${options.pipelineId}`);
  const tokenType = options.tokenType ?? DEFAULTS.tokenType;
  if (tokenType !== 'pat' && tokenType !== 'bearer') throw invalid(`tokenType must be pat or bearer, got ${String(tokenType)}`);
  const parameter = options.parameter ?? DEFAULTS.parameter;
  if (typeof parameter !== 'string' || !/^[^\s'"]+$/.test(parameter)) throw invalid(`parameter must be a template parameter name, got ${JSON.stringify(parameter)}`);
  let branch = options.branch;
  if (branch !== undefined) {
    if (typeof branch !== 'string' || branch.trim() === '') throw invalid('branch must not be empty');
    branch = branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
  }
  const token = checkTokenSource(options.token, `${where}: token`);
  const base = checkTransportSecurity(options.baseUrl ?? DEFAULTS.baseUrl, { what: `${where}: baseUrl`, insecure: options.insecure });
  const path = [options.organization, options.project].map(encodeURIComponent).join('/');
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}/${path}/_apis/pipelines/${options.pipelineId}/runs`, base);
  url.search = `api-version=${AZURE_PIPELINES_API_VERSION}`;
  return { id: options.id, url, token, tokenType, parameter, branch, http: resolveHttpOptions(options.http) };
}

/** Queues runs of one Azure Pipelines pipeline. */
export class AzurePipelinesTrigger implements RebuildTrigger {
  readonly id: string;
  private readonly options: ResolvedAzurePipelinesTriggerOptions;

  constructor(options: AzurePipelinesTriggerOptions) {
    this.options = resolveAzurePipelinesTriggerOptions(options);
    this.id = this.options.id;
  }

  /** Queues a run with the pinned target as template parameter; returns its run id. */
  async trigger(event: RebuildEvent, call: RebuildTriggerCallOptions = {}): Promise<RebuildOutcome> {
    const { url, tokenType, parameter, branch, http } = this.options;
    const token = await readToken(this.options.token, `azurePipelines ${this.id}: token`);
    const credential = tokenType === 'pat' ? Buffer.from(`:${token}`, 'utf8').toString('base64') : token;
    const request: Record<string, unknown> = { templateParameters: { [parameter]: event.target } };
    if (branch) request.resources = { repositories: { self: { refName: branch } } };
    const res = await httpPost(
      {
        kind: 'azurePipelines',
        url,
        body: Buffer.from(JSON.stringify(request), 'utf8'),
        signal: call.signal,
        secrets: [token, credential],
        headers: {
          accept: 'application/json',
          authorization: tokenType === 'pat' ? `Basic ${credential}` : `Bearer ${token}`,
          'content-type': 'application/json',
        },
        ok: (status) => status === 200 || status === 201,
        classify: signInPage,
      },
      http,
    );
    const run = parseRun(res.body);
    if (!run) {
      throw new RebuildTriggerError({
        code: 'REBUILD_BAD_RESPONSE',
        temporary: false, // the run may exist: retrying could queue a second one
        kind: 'azurePipelines',
        url: url.toString(),
        status: res.status,
        message: `azurePipelines POST ${url.origin}${url.pathname} answered ${res.status} without a run id`,
      });
    }
    return { status: 'triggered', runId: String(run.id), detail: run._links?.web?.href ?? run.name };
  }

  /** Closes the connection pool built for a configured CA. */
  close(): Promise<void> {
    return this.options.http.close();
  }
}

/** Azure DevOps answers a missing or rejected credential with 203 and an HTML sign-in page. */
function signInPage(status: number): StatusVerdict | undefined {
  if (status !== 203) return undefined;
  return { code: 'REBUILD_UNAUTHORIZED', temporary: false, reason: 'a sign-in page (203): the token is missing, expired or lacks Build (read & execute)' };
}

function parseRun(body: Buffer) {
  try {
    const parsed = azurePipelinesRunSchema.safeParse(JSON.parse(body.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON: reported by the caller as REBUILD_BAD_RESPONSE
  }
}
