/**
 * Runs one Azure Resource Manager long-running operation through the SDK's poller, bounded in
 * time. The SDK polls `Azure-AsyncOperation` (or `Location`) and reads the final result
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations);
 * basegate adds three things:
 * - a deadline: the poller is aborted after `timeoutMs` (`ARM_TIMEOUT`, temporary: the operation
 *   may still finish in Azure, and every caller is idempotent);
 * - the poll interval (`updateIntervalInMs`; a `Retry-After` on a poll response still wins);
 * - structured failures: the SDK reports a `Failed` operation as a plain `Error` whose message
 *   embeds the code, so the last status body is captured from `onResponse` and its
 *   `error.code` read as data (arm-error.ts), never the message.
 */
import type { FullOperationResponse } from '@azure/core-client';
import { ArmError, operationFailed, toArmError } from './arm-error';

/** The part of the SDK's `SimplePollerLike` used here. */
export interface ArmPoller<T> {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
}

/** What the `begin...` call receives: pass these through as its options. */
export interface ArmOperationHooks {
  updateIntervalInMs: number;
  abortSignal: AbortSignal;
  onResponse: (response: FullOperationResponse) => void;
}

/** Options of {@link runArmOperation}. */
export interface ArmOperationOptions {
  /** Name of the call for errors (`importImage`). */
  operation: string;
  /** What it acts on, for errors (`registry contosobase`). */
  subject: string;
  timeoutMs: number;
  pollIntervalMs: number;
}

/** Starts the operation with `begin`, waits for it within the deadline, and maps every failure to an {@link ArmError}. */
export async function runArmOperation<T>(begin: (hooks: ArmOperationHooks) => Promise<ArmPoller<T>>, options: ArmOperationOptions): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let lastBody: unknown;
  try {
    const poller = await begin({
      updateIntervalInMs: options.pollIntervalMs,
      abortSignal: controller.signal,
      onResponse: (response) => {
        lastBody = response.parsedBody;
      },
    });
    return await poller.pollUntilDone({ abortSignal: controller.signal });
  } catch (err) {
    if (controller.signal.aborted) {
      throw new ArmError({
        code: 'ARM_TIMEOUT',
        message: `${options.operation} on ${options.subject} did not finish within ${options.timeoutMs} ms`,
        operation: options.operation,
        temporary: true,
        cause: err,
      });
    }
    if (isTerminalFailureBody(lastBody)) throw operationFailed(options.operation, options.subject, lastBody);
    throw toArmError(err, options.operation, options.subject);
  } finally {
    clearTimeout(timer);
  }
}

/** True for a status-monitor body saying the operation ended without success (`Failed`, `Canceled`). */
function isTerminalFailureBody(body: unknown): boolean {
  const status = (body as { status?: unknown } | null | undefined)?.status;
  return typeof status === 'string' && ['failed', 'canceled', 'cancelled'].includes(status.toLowerCase());
}
