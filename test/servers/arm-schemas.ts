/**
 * Request-body schemas of the Microsoft.ContainerRegistry ARM operations basegate calls, written
 * for the ARM contract fake from the published REST API specification:
 *
 *   Azure/azure-rest-api-specs,
 *   specification/containerregistry/resource-manager/Microsoft.ContainerRegistry/Combine/stable/2025-11-01/combine.json
 *   (info.version 2025-11-01), definitions ImportImageParameters, ImportSource,
 *   ImportSourceCredentials, RunRequest, TaskRunRequest, EncodedTaskRunRequest, FileTaskRunRequest,
 *   DockerBuildRequest, OverrideTaskStepProperties, Argument, SetValue, PlatformProperties, OS,
 *   Architecture, Variant, AgentProperties, Credentials, SourceRegistryCredentials,
 *   CustomRegistryCredentials, SecretObject.
 *
 * api-versions on the wire: `@azure/arm-containerregistry` 11.0.0 sends `2025-11-01` for
 * `Registries_ImportImage` and `2019-06-01-preview` for the Tasks operations (`scheduleRun`,
 * `runs`, `tasks`; its generated `apiVersion1`). The Tasks definitions above are the same in
 * both; the fake checks each operation's api-version against {@link ARM_API_VERSIONS}.
 *
 * Deliberately stricter than the spec in one way: unknown properties are refused (the spec does
 * not forbid them, but a misspelt property is a silent no-op in Azure, which is what a contract
 * test must catch). Semantic checks the spec states in prose are enforced too: base64 content,
 * `repo@sha256:<64 hex>` digests where basegate promises them, the run timeout range.
 */
import { z } from 'zod';

/** api-version each operation must carry. */
export const ARM_API_VERSIONS = {
  importImage: '2025-11-01',
  tasks: '2019-06-01-preview',
} as const;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64').refine((s) => s.length % 4 === 0, 'base64 length is a multiple of 4');

/** ImportSourceCredentials: password required, username optional. */
export const importSourceCredentialsSchema = z.strictObject({
  username: z.string().optional(),
  password: z.string(),
});

/** ImportSource: `sourceImage` required; one of `resourceId` / `registryUri`. */
export const importSourceSchema = z
  .strictObject({
    resourceId: z.string().optional(),
    registryUri: z.string().optional(),
    credentials: importSourceCredentialsSchema.optional(),
    sourceImage: z.string().min(1),
  })
  .refine((s) => (s.resourceId === undefined) !== (s.registryUri === undefined), 'exactly one of resourceId and registryUri');

/** ImportImageParameters (mode: `NoForce` default, or `Force`). */
export const importImageParametersSchema = z.strictObject({
  source: importSourceSchema,
  targetTags: z.array(z.string().min(1)).optional(),
  untaggedTargetRepositories: z.array(z.string().min(1)).optional(),
  mode: z.enum(['NoForce', 'Force']).optional(),
});
export type ImportImageParameters = z.infer<typeof importImageParametersSchema>;

/** Argument and SetValue share one shape: name and value required. */
const nameValueSchema = z.strictObject({ name: z.string().min(1), value: z.string(), isSecret: z.boolean().optional() });

const platformSchema = z.strictObject({
  os: z.enum(['Windows', 'Linux']),
  architecture: z.enum(['amd64', 'x86', '386', 'arm', 'arm64']).optional(),
  variant: z.enum(['v6', 'v7', 'v8']).optional(),
});

const secretObjectSchema = z.strictObject({ value: z.string().optional(), type: z.enum(['Opaque', 'Vaultsecret']).optional() });

const credentialsSchema = z.strictObject({
  sourceRegistry: z.strictObject({ identity: z.string().optional(), loginMode: z.enum(['None', 'Default']).optional() }).optional(),
  customRegistries: z
    .record(z.string(), z.strictObject({ userName: secretObjectSchema.optional(), password: secretObjectSchema.optional(), identity: z.string().optional() }))
    .optional(),
});

/** RunRequest base properties, shared by every run request type. */
const runRequestBase = {
  isArchiveEnabled: z.boolean().optional(),
  agentPoolName: z.string().optional(),
  logTemplate: z.string().optional(),
};

/** Properties every run request that runs on an agent shares. */
const agentRunBase = {
  timeout: z.number().int().min(300).max(28800).optional(),
  platform: platformSchema,
  agentConfiguration: z.strictObject({ cpu: z.number().int().optional() }).optional(),
  sourceLocation: z.string().optional(),
  credentials: credentialsSchema.optional(),
};

export const taskRunRequestSchema = z.strictObject({
  type: z.literal('TaskRunRequest'),
  ...runRequestBase,
  taskId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[^/]+\/tasks\/[^/]+$/i, 'a task resource id'),
  overrideTaskStepProperties: z
    .strictObject({
      contextPath: z.string().optional(),
      file: z.string().optional(),
      arguments: z.array(nameValueSchema).optional(),
      target: z.string().optional(),
      values: z.array(nameValueSchema).optional(),
      updateTriggerToken: z.string().optional(),
    })
    .optional(),
});

export const encodedTaskRunRequestSchema = z.strictObject({
  type: z.literal('EncodedTaskRunRequest'),
  ...runRequestBase,
  ...agentRunBase,
  encodedTaskContent: base64.min(1),
  encodedValuesContent: base64.optional(),
  values: z.array(nameValueSchema).optional(),
});

export const fileTaskRunRequestSchema = z.strictObject({
  type: z.literal('FileTaskRunRequest'),
  ...runRequestBase,
  ...agentRunBase,
  taskFilePath: z.string().min(1),
  valuesFilePath: z.string().optional(),
  values: z.array(nameValueSchema).optional(),
});

export const dockerBuildRequestSchema = z.strictObject({
  type: z.literal('DockerBuildRequest'),
  ...runRequestBase,
  ...agentRunBase,
  imageNames: z.array(z.string()).optional(),
  isPushEnabled: z.boolean().optional(),
  noCache: z.boolean().optional(),
  dockerFilePath: z.string().min(1),
  target: z.string().optional(),
  arguments: z.array(nameValueSchema).optional(),
});

/** RunRequest, discriminated by `type`. */
export const runRequestSchema = z.discriminatedUnion('type', [taskRunRequestSchema, encodedTaskRunRequestSchema, fileTaskRunRequestSchema, dockerBuildRequestSchema]);
export type RunRequestBody = z.infer<typeof runRequestSchema>;

/** Validates a body; returns readable issues (empty when valid). */
export function schemaIssues(schema: z.ZodType, body: unknown): string[] {
  const result = schema.safeParse(body);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}
