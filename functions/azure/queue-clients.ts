/**
 * The Storage queue clients of basegate's stages and their poison queues, by stage name, over
 * the host's own storage account (app-settings.ts: identity-based in Azure, a connection string
 * for Azurite). Queues exist beforehand in Azure (infra/modules/storage.bicep, so the app's
 * role never needs to create them); locally they are created on first use.
 */
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { StorageSettings } from '../config/app-settings';
import type { QueueStage } from '../pipeline/queue';
import type { TokenCredential } from './azure-credential';
import { POISON_SUFFIX, QUEUES } from './names';

/** The queue name of each stage; tests sharing one Azurite use their own. */
export type QueueNames = Record<QueueStage, string>;

/** The names the Bicep declares. */
export const DEFAULT_QUEUE_NAMES: QueueNames = { validate: QUEUES.validate, promote: QUEUES.promote, rebuild: QUEUES.rebuild };

/** Options of {@link QueueClients}. */
export interface QueueClientsOptions {
  service: QueueServiceClient;
  names?: QueueNames;
  /** Create each queue on first use (Azurite); default false (Azure: the Bicep created them). */
  createQueues?: boolean;
}

/** Builds the queue service client for the host's storage settings. */
export function createQueueService(storage: StorageSettings, credential: () => TokenCredential): QueueServiceClient {
  if (storage.kind === 'connectionString') return QueueServiceClient.fromConnectionString(storage.connectionString);
  return new QueueServiceClient(storage.queueServiceUri, credential());
}

/** Hands out one client per queue, creating the queue once when asked to. */
export class QueueClients {
  readonly names: QueueNames;
  private readonly created = new Map<string, Promise<void>>();

  constructor(private readonly options: QueueClientsOptions) {
    this.names = options.names ?? DEFAULT_QUEUE_NAMES;
  }

  /** The queue of a stage. */
  stage(stage: QueueStage): Promise<QueueClient> {
    return this.named(this.names[stage]);
  }

  /** The poison queue of a stage. */
  poison(stage: QueueStage): Promise<QueueClient> {
    return this.named(`${this.names[stage]}${POISON_SUFFIX}`);
  }

  private async named(name: string): Promise<QueueClient> {
    const client = this.options.service.getQueueClient(name);
    if (this.options.createQueues) {
      let created = this.created.get(name);
      if (!created) {
        created = client.createIfNotExists().then(() => undefined);
        created.catch(() => this.created.delete(name));
        this.created.set(name, created);
      }
      await created;
    }
    return client;
  }
}
