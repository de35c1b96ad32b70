/**
 * ARM contract fake for Microsoft.ContainerRegistry: a loopback HTTPS endpoint that speaks the
 * Azure Resource Manager contract for the operations basegate calls, so the real
 * `@azure/arm-containerregistry` client can be tested here. It is a stand-in, not Azure:
 *
 * - `POST .../registries/{name}/importImage` → 202 with `Azure-AsyncOperation` and `Location`
 *   (https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations);
 *   the status monitor answers `InProgress`, then `Succeeded` or `Failed` with `{ error }`;
 *   the Location answers 202 until done, then 200. Behind it the copy is performed for real
 *   between local `docker-registry` instances (arm-import-copy.ts).
 * - `POST .../scheduleRun` (an LRO returning a Run), `GET .../runs/{runId}`,
 *   `POST .../runs/{runId}/listLogSasUrl`, `GET .../tasks` (paged with `nextLink`),
 *   `GET .../tasks/{task}`.
 * - Every body is checked against the request schemas in arm-schemas.ts, every request must
 *   carry the bearer token and the operation's api-version; errors use ARM's
 *   `{ error: { code, message } }`; scripted 429s carry `Retry-After`.
 *
 * - With `rateLimits`, ARM's token-bucket throttling (arm-rate-limit.ts): reads (status polls
 *   included), writes and deletes per principal; an empty bucket answers 429 + `Retry-After`, and
 *   every answer carries the `x-ms-ratelimit-remaining-subscription-*` headers.
 *
 * Strict: imports and runs must be expected (`expectImport`, `expectRun`), in order; anything
 * unexpected is a violation (answered 400, so the SDK does not retry it), and `assertDone()`
 * fails on violations and on unused expectations. A benchmark of many imports may declare a
 * standing expectation instead (`standingImport`), which answers every import the queue does not.
 */
import { randomUUID } from 'node:crypto';
import { ContractFake } from './contract-fake';
import type { RawTarget } from '../helpers/raw-registry';
import { MAX_IMPORT_MANIFESTS, performImport, type ImportOutcome } from './arm-import-copy';
import { ArmRateLimiter, type ArmRateLimits } from './arm-rate-limit';
import { ARM_API_VERSIONS, importImageParametersSchema, runRequestSchema, schemaIssues, type ImportImageParameters, type RunRequestBody } from './arm-schemas';
import { hasNoBody, logLinkFor, nextRunId, nextRunStatus, runJson, taskJson, type FakeRun, type FakeTask, type RunScript } from './arm-task-model';
import { bearerToken, jsonBody, startHttpsContractServer, type ContractReply, type ContractRoute, type HttpsContractServer, type RecordedRequest } from './https-contract-server';

export { MAX_IMPORT_MANIFESTS };
export type { FakeTask, RunScript };

/** A registry the fake stands for: its ARM identity and the local registry holding its content. */
export interface FakeRegistry {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** The real local registry behind it (admin access). */
  storage: RawTarget;
}

/** How the next `importImage` is answered. */
export interface ImportExpectation {
  /**
   * Answer the POST with 429 + `Retry-After` this many times before accepting it; with
   * `only`, the expectation ends after the last 429 (the client is expected to give up).
   */
  throttle?: { times: number; retryAfterSeconds: number; only?: boolean };
  /** Answer the POST itself with this ARM error (e.g. 409, 400) instead of accepting. */
  reject?: { status: number; code: string; message: string };
  /** Status-monitor polls answered `InProgress` before the outcome. Default 1. */
  inProgressPolls?: number;
  /** Fail the operation with this error instead of copying. */
  fail?: { code: string; message: string };
  /** Runs just before the copy (to race a tag into the target, for instance). */
  beforeCopy?: () => Promise<void>;
}

/** A recorded, schema-valid ARM call. */
export interface ArmCall<T> {
  registryId: string;
  body: T;
}

type Outcome = { ok: true; json?: unknown } | { ok: false; code: string; message: string };

interface Operation {
  id: string;
  registryPath: string;
  apiVersion: string;
  pollsLeft: number;
  outcome: Promise<Outcome>;
}

const REGISTRY = '^(/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.ContainerRegistry/registries/([^/]+))';

export class ArmContractFake extends ContractFake {
  readonly imports: Array<ArmCall<ImportImageParameters>> = [];
  readonly runRequests: Array<ArmCall<RunRequestBody>> = [];
  private readonly registries = new Map<string, FakeRegistry>();
  private readonly tasks = new Map<string, FakeTask[]>();
  private readonly runs = new Map<string, FakeRun>();
  private readonly operations = new Map<string, Operation>();
  private readonly importQueue: ImportExpectation[] = [];
  private readonly runQueue: RunScript[] = [];
  private runCounter = 0;
  /** Copies in progress by target repository: docker-registry can fail two concurrent uploads of one blob into one repository, which ACR does not. */
  private readonly copying = new Map<string, Promise<unknown>>();
  /** Answers every import the queue has no expectation for (benchmarks); undefined: such an import is a violation. */
  standingImport: ImportExpectation | undefined;

  private constructor(
    server: HttpsContractServer,
    /** The bearer token every request must carry. */
    readonly token: string,
    private readonly taskPageSize: number,
    /** ARM's throttling, when the fake enforces it. */
    readonly rateLimiter: ArmRateLimiter | undefined,
  ) {
    super(server, 'ARM contract fake');
  }

  /** Starts the fake on a free loopback port. */
  static async start(options: { token?: string; taskPageSize?: number; rateLimits?: ArmRateLimits } = {}): Promise<ArmContractFake> {
    let fake: ArmContractFake | undefined;
    const server = await startHttpsContractServer({ name: 'arm-contract-fake', routes: () => fake!.routes() });
    fake = new ArmContractFake(server, options.token ?? 'arm-test-token', options.taskPageSize ?? 100, options.rateLimits ? new ArmRateLimiter(options.rateLimits) : undefined);
    return fake;
  }

  /** `https://127.0.0.1:PORT`: the ARM endpoint to give the SDK. */
  get endpoint(): string {
    return this.url;
  }

  get violations(): string[] {
    return this.server.violations;
  }

  /** Removes and returns the violations (for a test that provokes one on purpose). */
  takeViolations(): string[] {
    return this.server.violations.splice(0);
  }

  /** Declares a registry; returns its resource id. */
  addRegistry(registry: FakeRegistry): string {
    const id = `/subscriptions/${registry.subscriptionId}/resourceGroups/${registry.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registry.name}`;
    this.registries.set(id.toLowerCase(), registry);
    return id;
  }

  /** Adds a task to a registry. */
  addTask(registryId: string, task: FakeTask): void {
    const list = this.tasks.get(registryId.toLowerCase()) ?? [];
    list.push(task);
    this.tasks.set(registryId.toLowerCase(), list);
  }

  /** Expects one more `importImage`, answered as described. */
  expectImport(expectation: ImportExpectation = {}): void {
    this.importQueue.push(expectation);
  }

  /** Expects one more `scheduleRun`; the run follows the script. */
  expectRun(script: RunScript = {}): void {
    this.runQueue.push(script);
  }

  protected override unmet(): string[] {
    const problems: string[] = [];
    if (this.importQueue.length > 0) problems.push(`${this.importQueue.length} expected importImage call(s) never came`);
    if (this.runQueue.length > 0) problems.push(`${this.runQueue.length} expected scheduleRun call(s) never came`);
    return problems;
  }

  override async close(): Promise<void> {
    await Promise.allSettled([...this.operations.values()].map((o) => o.outcome));
    await super.close();
  }

  private routes(): ContractRoute[] {
    const r = (name: string, method: string, suffix: string, handle: (req: RecordedRequest, m: RegExpExecArray) => Promise<ContractReply> | ContractReply): ContractRoute => ({
      name,
      method,
      path: new RegExp(`${REGISTRY}${suffix}$`, 'i'),
      handle: (req, m) => this.throttled(req, () => this.guarded(req, m, name, handle)),
    });
    return [
      r('importImage', 'POST', '/importImage', (req, m) => this.importImage(req, m[1])),
      r('scheduleRun', 'POST', '/scheduleRun', (req, m) => this.scheduleRun(req, m[1])),
      r('operationStatus', 'GET', '/operationStatuses/([^/]+)', (_req, m) => this.operationStatus(m[5])),
      r('operationResult', 'GET', '/operationResults/([^/]+)', (_req, m) => this.operationResult(m[5])),
      r('runGet', 'GET', '/runs/([^/]+)', (_req, m) => this.runGet(m[1], m[5])),
      r('runLog', 'POST', '/runs/([^/]+)/listLogSasUrl', (req, m) => this.runLog(req, m[5])),
      r('taskList', 'GET', '/tasks', (req, m) => this.taskList(req, m[1])),
      r('taskGet', 'GET', '/tasks/([^/]+)', (_req, m) => this.taskGet(m[1], m[5])),
    ];
  }

  /** ARM's throttling before anything else (it happens before the request reaches the resource provider). */
  private async throttled(req: RecordedRequest, handle: () => Promise<ContractReply>): Promise<ContractReply> {
    if (!this.rateLimiter) return handle();
    const decision = this.rateLimiter.take(bearerToken(req) ?? 'anonymous', req.method);
    if (!decision.allowed) {
      const reply = armError(429, 'TooManyRequests', `The request is being throttled: the ${decision.kind} limit of this principal is used up.`);
      return { ...reply, headers: decision.headers };
    }
    const reply = await handle();
    return { ...reply, headers: { ...decision.headers, ...reply.headers } };
  }

  /** Checks what every ARM request must satisfy, then runs the handler. */
  private async guarded(req: RecordedRequest, m: RegExpExecArray, name: string, handle: (req: RecordedRequest, m: RegExpExecArray) => Promise<ContractReply> | ContractReply): Promise<ContractReply> {
    if (bearerToken(req) !== this.token) {
      this.server.violation(`${name}: missing or wrong bearer token`);
      return armError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing or invalid.');
    }
    const apiVersion = req.query.get('api-version');
    const opId = name.startsWith('operation') ? m[5] : undefined;
    const wanted = opId !== undefined ? this.operations.get(opId)?.apiVersion : name === 'importImage' ? ARM_API_VERSIONS.importImage : ARM_API_VERSIONS.tasks;
    if (wanted !== undefined && apiVersion !== wanted) {
      this.server.violation(`${name}: api-version ${apiVersion} (expected ${wanted})`);
      return armError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid.`);
    }
    if (!this.registries.has(m[1].toLowerCase())) {
      this.server.violation(`${name}: unknown registry ${m[1]}`);
      return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerRegistry/registries/${m[4]}' under resource group '${m[3]}' was not found.`);
    }
    return handle(req, m);
  }

  private checkBody<T>(req: RecordedRequest, name: string, schema: Parameters<typeof schemaIssues>[0]): { body: T } | { reply: ContractReply } {
    const contentType = String(req.headers['content-type'] ?? '');
    let body: unknown;
    let issues: string[];
    try {
      body = jsonBody(req);
      issues = contentType.startsWith('application/json') ? schemaIssues(schema, body) : [`content-type ${contentType} (expected application/json)`];
    } catch (err) {
      issues = [`malformed JSON: ${(err as Error).message}`];
    }
    if (issues.length === 0) return { body: body as T };
    this.server.violation(`${name}: request body violates the schema: ${issues.join('; ')}`);
    return { reply: armError(400, 'InvalidRequestContent', `The request content was invalid: ${issues.join('; ')}`) };
  }

  private importImage(req: RecordedRequest, registryPath: string): ContractReply {
    const checked = this.checkBody<ImportImageParameters>(req, 'importImage', importImageParametersSchema);
    if ('reply' in checked) return checked.reply;
    const expectation = this.importQueue[0] ?? (this.standingImport && { ...this.standingImport });
    if (!expectation) {
      this.server.violation(`importImage: unexpected call ${JSON.stringify(redactBody(checked.body))}`);
      return armError(400, 'UnexpectedRequest', 'the fake did not expect this importImage');
    }
    if (expectation.throttle && expectation.throttle.times > 0) {
      expectation.throttle.times--;
      if (expectation.throttle.times === 0 && expectation.throttle.only && this.importQueue[0] === expectation) this.importQueue.shift();
      return { ...armError(429, 'TooManyRequests', 'The request is being throttled.'), headers: { 'retry-after': String(expectation.throttle.retryAfterSeconds) } };
    }
    if (this.importQueue[0] === expectation) this.importQueue.shift();
    this.imports.push({ registryId: registryPath, body: checked.body });
    if (expectation.reject) return armError(expectation.reject.status, expectation.reject.code, expectation.reject.message);
    const registry = this.registries.get(registryPath.toLowerCase())!;
    const outcome = this.runImport(checked.body, registry, expectation);
    return this.accept(registryPath, ARM_API_VERSIONS.importImage, expectation.inProgressPolls ?? 1, outcome);
  }

  private async runImport(body: ImportImageParameters, registry: FakeRegistry, expectation: ImportExpectation): Promise<Outcome> {
    try {
      await expectation.beforeCopy?.();
      if (expectation.fail) return { ok: false, ...expectation.fail };
      const source = this.resolveSource(body);
      if (!source) return { ok: false, code: 'InvalidParameter', message: `source registry ${body.source.resourceId} not found` };
      if (!body.targetTags?.length && !body.untaggedTargetRepositories?.length) {
        // The spec does not say what an import with neither does; the fake refuses it rather than guess.
        return { ok: false, code: 'InvalidParameter', message: 'give targetTags or untaggedTargetRepositories' };
      }
      const repos = [...(body.targetTags ?? []).map((t) => t.split(':')[0]), ...(body.untaggedTargetRepositories ?? [])];
      const key = `${registry.storage.host}/${repos[0]}`;
      const copy = (this.copying.get(key) ?? Promise.resolve()).catch(() => undefined).then(() =>
        performImport(
          { source, sourceImage: body.source.sourceImage, targetTags: body.targetTags ?? [], untaggedTargetRepositories: body.untaggedTargetRepositories ?? [], mode: body.mode ?? 'NoForce' },
          registry.storage,
        ),
      );
      this.copying.set(key, copy);
      const result: ImportOutcome = await copy;
      if (this.copying.get(key) === copy) this.copying.delete(key);
      return result.ok ? { ok: true } : result;
    } catch (err) {
      this.server.violation(`importImage: the fake's copy failed: ${(err as Error).message}`);
      return { ok: false, code: 'InternalServerError', message: (err as Error).message };
    }
  }

  private resolveSource(body: ImportImageParameters): RawTarget | undefined {
    const { source } = body;
    if (source.registryUri !== undefined) {
      // Real ACR reaches registryUri over https; the local registries speak plain http on loopback.
      return { host: source.registryUri, username: source.credentials?.username, password: source.credentials?.password };
    }
    return this.registries.get(source.resourceId!.toLowerCase())?.storage;
  }

  private scheduleRun(req: RecordedRequest, registryPath: string): ContractReply {
    const checked = this.checkBody<RunRequestBody>(req, 'scheduleRun', runRequestSchema);
    if ('reply' in checked) return checked.reply;
    const script = this.runQueue.shift();
    if (!script) {
      this.server.violation(`scheduleRun: unexpected call ${JSON.stringify(redactBody(checked.body))}`);
      return armError(400, 'UnexpectedRequest', 'the fake did not expect this scheduleRun');
    }
    this.runRequests.push({ registryId: registryPath, body: checked.body });
    let task: string | undefined;
    if (checked.body.type === 'TaskRunRequest') {
      const taskId = checked.body.taskId;
      task = taskId.slice(taskId.lastIndexOf('/') + 1);
      const owner = taskId.slice(0, taskId.toLowerCase().lastIndexOf('/tasks/'));
      if (!(this.tasks.get(owner.toLowerCase()) ?? []).some((t) => t.name === task)) {
        return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerRegistry/registries/tasks/${task}' was not found.`);
      }
    }
    const run: FakeRun = {
      runId: nextRunId(++this.runCounter),
      registryId: registryPath,
      task,
      request: checked.body,
      script: { ...script, statuses: script.statuses ?? ['Running', 'Succeeded'] },
      gets: 0,
      createTime: new Date().toISOString(),
    };
    this.runs.set(run.runId, run);
    const body = runJson(run, 'Queued');
    if (script.synchronous) return { status: 200, json: body };
    return this.accept(registryPath, ARM_API_VERSIONS.tasks, script.inProgressPolls ?? 1, Promise.resolve({ ok: true, json: body }));
  }

  /** Starts an asynchronous operation: 202 with both polling headers. */
  private accept(registryPath: string, apiVersion: string, polls: number, outcome: Promise<Outcome>): ContractReply {
    const id = randomUUID();
    this.operations.set(id, { id, registryPath, apiVersion, pollsLeft: polls, outcome });
    const base = `${this.endpoint}${registryPath}`;
    return {
      status: 202,
      headers: {
        'azure-asyncoperation': `${base}/operationStatuses/${id}?api-version=${apiVersion}`,
        location: `${base}/operationResults/${id}?api-version=${apiVersion}`,
      },
    };
  }

  private operation(id: string): Operation | undefined {
    const op = this.operations.get(id);
    if (!op) this.server.violation(`poll of unknown operation ${id}`);
    return op;
  }

  private async operationStatus(id: string): Promise<ContractReply> {
    const op = this.operation(id);
    if (!op) return armError(404, 'NotFound', 'no such operation');
    if (op.pollsLeft > 0) {
      op.pollsLeft--;
      return { status: 200, json: { id, name: id, status: 'InProgress', startTime: new Date().toISOString() } };
    }
    const outcome = await op.outcome;
    if (outcome.ok) return { status: 200, json: { id, name: id, status: 'Succeeded', endTime: new Date().toISOString() } };
    return { status: 200, json: { id, name: id, status: 'Failed', error: { code: outcome.code, message: outcome.message } } };
  }

  private async operationResult(id: string): Promise<ContractReply> {
    const op = this.operation(id);
    if (!op) return armError(404, 'NotFound', 'no such operation');
    if (op.pollsLeft > 0) return { status: 202, headers: { location: `${this.endpoint}${op.registryPath}/operationResults/${id}?api-version=${op.apiVersion}` } };
    const outcome = await op.outcome;
    if (!outcome.ok) return armError(400, outcome.code, outcome.message);
    return outcome.json === undefined ? { status: 200 } : { status: 200, json: outcome.json };
  }

  private runGet(registryPath: string, runId: string): ContractReply {
    const run = this.runs.get(runId);
    if (!run || run.registryId.toLowerCase() !== registryPath.toLowerCase()) return armError(404, 'ResourceNotFound', `run ${runId} not found`);
    return { status: 200, json: runJson(run, nextRunStatus(run)) };
  }

  private runLog(req: RecordedRequest, runId: string): ContractReply {
    if (!hasNoBody(req)) this.server.violation('listLogSasUrl: takes no body');
    const run = this.runs.get(runId);
    if (!run) return armError(404, 'ResourceNotFound', `run ${runId} not found`);
    return { status: 200, json: { logLink: logLinkFor(this.endpoint, run), logArtifactLink: `${run.registryId}/runs/${runId}/log-artifact` } };
  }

  private taskList(req: RecordedRequest, registryPath: string): ContractReply {
    const all = this.tasks.get(registryPath.toLowerCase()) ?? [];
    const skip = Number(req.query.get('$skipToken') ?? '0');
    const page = all.slice(skip, skip + this.taskPageSize);
    const next = skip + this.taskPageSize < all.length ? `${this.endpoint}${registryPath}/tasks?api-version=${ARM_API_VERSIONS.tasks}&$skipToken=${skip + this.taskPageSize}` : undefined;
    return { status: 200, json: { value: page.map((t) => taskJson(registryPath, t)), ...(next ? { nextLink: next } : {}) } };
  }

  private taskGet(registryPath: string, name: string): ContractReply {
    const task = (this.tasks.get(registryPath.toLowerCase()) ?? []).find((t) => t.name === name);
    if (!task) return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerRegistry/registries/tasks/${name}' was not found.`);
    return { status: 200, json: taskJson(registryPath, task) };
  }
}

/** An ARM error reply (`{ error: { code, message } }`). */
export function armError(status: number, code: string, message: string): ContractReply {
  return { status, json: { error: { code, message } } };
}

/** A body safe to put in a violation message (no passwords). */
function redactBody(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body, (key, value: unknown) => (/password|value|secret/i.test(key) && typeof value === 'string' ? '***' : value)));
}
