/**
 * The Azure Storage queue and table names basegate uses, in one place (design.md "Names").
 *
 * The Bicep in infra/modules/storage.bicep declares the same names; test/unit/infra-parity.test.ts
 * fails when the two drift apart, and when a name is written out anywhere else under functions/.
 * Queue names: 3-63 lowercase letters, digits and single dashes; table names: 3-63 letters and
 * digits, starting with a letter (https://learn.microsoft.com/rest/api/storageservices/naming-queues-and-metadata,
 * https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#table-names).
 */

/** The hand-off queues between stages: detect → validate → promote → rebuild. */
export const QUEUES = {
  validate: 'basegate-validate',
  promote: 'basegate-promote',
  rebuild: 'basegate-rebuild',
} as const;

/** A queue name from {@link QUEUES}. */
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Suffix the Functions host appends when a message passes `maxDequeueCount`
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages).
 */
export const POISON_SUFFIX = '-poison';

/** Returns the poison queue the host moves a queue's failed messages to. */
export function poisonQueueOf(queue: QueueName): string {
  return `${queue}${POISON_SUFFIX}`;
}

/** Every poison queue, pre-created by the Bicep so the host never needs the right to create queues on the fly. */
export const POISON_QUEUES: readonly string[] = Object.values(QUEUES).map(poisonQueueOf);

/** The tables: pipeline state (tags, verdicts, promotions, rebuilds) and the append-only audit. */
export const TABLES = {
  state: 'basegateState',
  audit: 'basegateAudit',
} as const;

/** A table name from {@link TABLES}. */
export type TableName = (typeof TABLES)[keyof typeof TABLES];
