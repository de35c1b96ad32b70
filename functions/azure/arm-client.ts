/**
 * Builds the Azure Resource Manager client for Azure Container Registry
 * (`@azure/arm-containerregistry` 11.x: api-version 2025-11-01 for registries, and the
 * ACR Tasks operations — scheduleRun, runs, tasks — that 12.x removed). One place, so every
 * caller gets the same credential, retry policy and endpoint.
 *
 * Throttling: the SDK pipeline already retries 429 and 503 honouring `Retry-After`
 * (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After` in seconds or as a date) and retries
 * 5xx and network errors with exponential backoff (@typespec/ts-http-runtime's
 * defaultRetryPolicy). basegate adds no loop of its own; what still fails after `maxRetries`
 * surfaces as a temporary `ARM_THROTTLED` / `ARM_UNAVAILABLE` error (arm-error.ts), which the
 * pipeline turns into a delay. Before that, every attempt spends the client's request budget
 * (arm-request-budget.ts: ARM's per-principal token buckets, kept on the client), so a burst
 * of promotions paces itself instead of meeting 429s.
 */
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ConfigError } from '../errors';
import { ArmRequestBudget, armRequestBudgetPolicy, type ArmRequestBudgetOptions } from './arm-request-budget';
import { createAzureCredential, type TokenCredential } from './azure-credential';

/** Options of {@link createArmClient}. */
export interface ArmClientOptions {
  subscriptionId: string;
  /** A credential to use; default `DefaultAzureCredential`. */
  credential?: TokenCredential;
  /** Client id of a user-assigned managed identity (instead of `credential`). */
  managedIdentityClientId?: string;
  /** Resource Manager endpoint (sovereign clouds; the loopback contract fake in tests). */
  endpoint?: string;
  /**
   * PEM certificates that replace the default CA store for this client only: a private ARM
   * endpoint, or the test contract fake's self-signed certificate. Verification stays on.
   */
  trustedCa?: string;
  /** The SDK's retry policy knobs. */
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** ARM's request limits for this principal (default: the documented ones), or a budget to share and read. */
  requestBudget?: ArmRequestBudgetOptions | ArmRequestBudget;
}

const DEFAULTS = {
  /** Public Azure. */
  endpoint: 'https://management.azure.com',
  /** The SDK's own default: three retries after the first attempt. */
  maxRetries: 3,
  /** The SDK's own default first backoff for 5xx/network errors (429 waits for Retry-After instead). */
  retryDelayInMs: 800,
  /** The SDK's own default ceiling. */
  maxRetryDelayInMs: 64_000,
} as const;

/** {@link ArmClientOptions} with defaults filled in. */
export interface ResolvedArmClientOptions {
  subscriptionId: string;
  credential: TokenCredential;
  endpoint: string;
  trustedCa?: string;
  retry: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  requestBudget: ArmRequestBudget;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fills defaults and refuses contradictions (two credentials, a non-https endpoint, a bad subscription id). */
export function resolveArmClientOptions(options: ArmClientOptions): ResolvedArmClientOptions {
  if (!UUID.test(options.subscriptionId ?? '')) {
    throw new ConfigError(`subscription id ${JSON.stringify(options.subscriptionId)} is not a UUID`, { code: 'ARM_SUBSCRIPTION_INVALID' });
  }
  const endpoint = (options.endpoint ?? DEFAULTS.endpoint).replace(/\/+$/, '');
  // The SDK refuses to send a bearer token over plain http; say so at configuration time.
  if (!endpoint.startsWith('https://')) throw new ConfigError(`ARM endpoint ${endpoint} must be https`, { code: 'ARM_ENDPOINT_INVALID' });
  return {
    subscriptionId: options.subscriptionId,
    credential: createAzureCredential({ credential: options.credential, managedIdentityClientId: options.managedIdentityClientId }),
    endpoint,
    trustedCa: options.trustedCa,
    retry: {
      maxRetries: options.retry?.maxRetries ?? DEFAULTS.maxRetries,
      retryDelayInMs: options.retry?.retryDelayInMs ?? DEFAULTS.retryDelayInMs,
      maxRetryDelayInMs: options.retry?.maxRetryDelayInMs ?? DEFAULTS.maxRetryDelayInMs,
    },
    requestBudget: options.requestBudget instanceof ArmRequestBudget ? options.requestBudget : new ArmRequestBudget(options.requestBudget),
  };
}

/** Creates the ACR management client for one subscription. */
export function createArmClient(options: ArmClientOptions): ContainerRegistryManagementClient {
  const resolved = resolveArmClientOptions(options);
  const client = new ContainerRegistryManagementClient(resolved.credential, resolved.subscriptionId, {
    // `$host` is what the generated operation specs build URLs from; `endpoint` is the pipeline's base.
    $host: resolved.endpoint,
    endpoint: resolved.endpoint,
    // The token audience follows the endpoint (sovereign clouds use their own ARM audience).
    credentialScopes: [`${resolved.endpoint}/.default`],
    retryOptions: resolved.retry,
    userAgentOptions: { userAgentPrefix: 'basegate' },
    ...(resolved.trustedCa ? { tlsOptions: { ca: resolved.trustedCa } } : {}),
  });
  // After the Retry phase: each attempt, a retried one too, spends a token of its kind.
  client.pipeline.addPolicy(armRequestBudgetPolicy(resolved.requestBudget), { afterPhase: 'Retry' });
  return client;
}
