/**
 * Contract stand-in for Azure DevOps "Runs - Run Pipeline"
 * (https://learn.microsoft.com/rest/api/azure/devops/pipelines/runs/run-pipeline?view=azure-devops-rest-7.1),
 * which cannot be reached from tests. It checks the documented request (path, `api-version=7.1`,
 * Basic `:PAT` or Bearer auth, a body made only of RunPipelineParameters fields, template
 * parameters the pipeline declares, `refs/...` branch names) and answers as Azure DevOps does:
 * 200 with a Run, 203 with an HTML sign-in page for a bad credential, 400 for an undeclared
 * parameter. Strict: every request must be expected; a contract violation fails the test.
 */
import { jsonPostProblems, startScriptedServer, type Reply, type ScriptedServer } from './scripted-http-server';
import type { SelfSignedCert } from './self-signed-cert';

/** The pipeline the fake serves. */
export interface FakePipeline {
  organization: string;
  project: string;
  pipelineId: number;
  /** Template parameters its YAML declares. */
  parameters: string[];
  /** Accepted credentials. */
  pat?: string;
  bearer?: string;
}

/** A run request as received. */
export interface ReceivedRun {
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  runId: number;
}

/** What one expected run request answers. */
export interface RunExpectation {
  /** The request is expected to carry a wrong credential: answer 203 and a sign-in page. */
  badCredentials?: boolean;
  /** Answer this instead of the Run, after the same checks. */
  reply?: Reply;
}

/** The fake: a scripted server plus the runs it queued. */
export interface AzureDevOpsFake extends ScriptedServer {
  runs: ReceivedRun[];
  expectRun(expectation?: RunExpectation): void;
}

/** RunPipelineParameters fields (the documented request body). */
const BODY_FIELDS = new Set(['previewRun', 'resources', 'stagesToSkip', 'templateParameters', 'variables', 'yamlOverride']);

/** Starts the fake for one pipeline; run ids count up from `firstRunId` (default 4711); HTTPS with `tls`. */
export async function startAzureDevOpsFake(pipeline: FakePipeline, options: { firstRunId?: number; tls?: SelfSignedCert } = {}): Promise<AzureDevOpsFake> {
  const server = await startScriptedServer({ name: 'Azure DevOps contract fake', tls: options.tls });
  const runs: ReceivedRun[] = [];
  server.onReset(() => void (runs.length = 0));
  let nextRunId = options.firstRunId ?? 4711;
  const path = `/${encodeURIComponent(pipeline.organization)}/${encodeURIComponent(pipeline.project)}/_apis/pipelines/${pipeline.pipelineId}/runs`;
  const accepted = new Set([
    ...(pipeline.pat ? [`Basic ${Buffer.from(`:${pipeline.pat}`).toString('base64')}`] : []),
    ...(pipeline.bearer ? [`Bearer ${pipeline.bearer}`] : []),
  ]);
  return Object.assign(server, {
    runs,
    expectRun(expectation: RunExpectation = {}) {
      server.expect({
        label: `POST ${path}?api-version=7.1`,
        handle(req) {
          const { problems, json } = jsonPostProblems(req);
          if (req.path !== path) {
            problems.push(`path ${req.path}, expected ${path}`);
            return { problems, reply: { status: 404, body: { message: 'not found' } } };
          }
          if (req.query.get('api-version') !== '7.1' || [...req.query.keys()].length !== 1) problems.push(`query ${req.query}, expected api-version=7.1`);
          const authorized = accepted.has(String(req.headers.authorization));
          const signIn: Reply = { status: 203, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in</body></html>' };
          if (expectation.badCredentials) {
            if (authorized) problems.push('expected a wrong credential, got an accepted one');
            return { problems, reply: signIn };
          }
          if (!authorized) {
            problems.push('Authorization is neither Basic :PAT nor Bearer <token> of this pipeline');
            return { problems, reply: signIn };
          }
          const body = (json ?? {}) as Record<string, unknown>;
          const unknown = Object.keys(body).filter((k) => !BODY_FIELDS.has(k));
          if (unknown.length) problems.push(`body fields ${unknown.join(', ')} are not RunPipelineParameters`);
          const params = (body.templateParameters ?? {}) as Record<string, unknown>;
          for (const [name, value] of Object.entries(params)) {
            if (!pipeline.parameters.includes(name)) {
              problems.push(`undeclared template parameter ${name}`);
              return { problems, reply: { status: 400, body: { $id: '1', message: `Unexpected parameter '${name}'`, typeKey: 'PipelineValidationException' } } };
            }
            if (typeof value !== 'string') problems.push(`template parameter ${name} is not a string`);
          }
          const self = (body.resources as { repositories?: { self?: { refName?: unknown } } } | undefined)?.repositories?.self;
          if (self && (typeof self.refName !== 'string' || !self.refName.startsWith('refs/'))) problems.push(`refName ${String(self.refName)} is not a full ref`);
          if (expectation.reply) return { problems, reply: expectation.reply };
          const runId = nextRunId++;
          runs.push({ headers: req.headers, body, runId });
          const base = `${server.url}/${pipeline.organization}/${pipeline.project}`;
          return {
            problems,
            reply: {
              status: 200,
              body: {
                _links: {
                  self: { href: `${base}/_apis/pipelines/${pipeline.pipelineId}/runs/${runId}` },
                  web: { href: `${base}/_build/results?buildId=${runId}` },
                },
                pipeline: { id: pipeline.pipelineId, revision: 3, name: 'orders-api', folder: '\\' },
                state: 'inProgress',
                createdDate: new Date().toISOString(),
                url: `${base}/_apis/pipelines/${pipeline.pipelineId}/runs/${runId}`,
                templateParameters: params,
                id: runId,
                name: `20260101.${runId}`,
              },
            },
          };
        },
      });
    },
  });
}
