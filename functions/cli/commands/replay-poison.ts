/**
 * `basegate replay-poison`: moves the messages of the Functions app's poison queues back to their
 * queues, text unchanged, once whatever made them fail is fixed; `--dry-run` lists them only.
 * Each replay is recorded (state record `replayed`, audit stage `poison`).
 *
 * Storage: `--connection-string` (Azurite, or an account key), else the app's own settings from
 * the environment (`AzureWebJobsStorage`, or `AzureWebJobsStorage__queueServiceUri` and
 * `__tableServiceUri` with the signed-in identity via DefaultAzureCredential).
 */
import { readAppSettings, type StorageSettings } from '../../config/app-settings';
import { createAzureCredential } from '../../azure/azure-credential';
import { readHostQueueSettings } from '../../azure/host-json';
import { createQueueService, QueueClients } from '../../azure/queue-clients';
import { DEFAULT_MESSAGE_ENCODING, type MessageEncoding } from '../../azure/queue-encoding';
import { StoragePoisonQueues, type ReplayedMessage } from '../../azure/queue-poison';
import { TableStateStore } from '../../azure/table-state-store';
import { loadConfig } from '../../config/load-config';
import { trackedImages } from '../../config/tracked-images';
import { canonicalMessageText } from '../../pipeline/messages';
import { recordReplayed } from '../../pipeline/poison-record';
import { systemClock } from '../../pipeline/ports';
import { QUEUE_STAGES, type QueueStage } from '../../pipeline/queue';
import type { TrackedImage } from '../../pipeline/tracked-image';
import { parseCommand, UsageError } from '../args';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';

export async function runReplayPoison(argv: string[], out: Output): Promise<number> {
  const { values } = parseCommand('replay-poison', argv, {
    'connection-string': { type: 'string' },
    queue: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    max: { type: 'string' },
  });
  const stages: readonly string[] = values.queue ?? QUEUE_STAGES;
  const unknown = stages.filter((s) => !(QUEUE_STAGES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`replay-poison: --queue ${unknown[0]} is not one of ${QUEUE_STAGES.join(', ')}`);
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) throw new UsageError(`replay-poison: --max expects a positive integer, found ${values.max}`);

  const settings = values['connection-string'] === undefined ? readAppSettings(process.env) : undefined;
  const storage: StorageSettings = settings?.storage ?? { kind: 'connectionString', connectionString: values['connection-string']! };
  const credential = () => createAzureCredential({ managedIdentityClientId: settings?.clientId });
  const poison = new StoragePoisonQueues(new QueueClients({ service: createQueueService(storage, credential) }), messageEncoding());
  const images: TrackedImage[] = values.config ? trackedImages(await loadConfig(values.config)) : [];
  const state = storage.kind === 'connectionString' ? new TableStateStore({ connectionString: storage.connectionString }) : new TableStateStore({ endpoint: storage.tableServiceUri, credential: credential() });

  const replayed: ReplayedMessage[] = [];
  for (const stage of stages as QueueStage[]) {
    for (const m of await poison.replay(stage, { dryRun: values['dry-run'], max })) {
      replayed.push(m);
      if (!values['dry-run'] && m.moved) await recordReplayed({ state, clock: systemClock, images }, stage, canonicalText(m.text));
      out.progress(`${values['dry-run'] ? (m.moved ? 'would move' : 'would leave') : m.moved ? 'moved' : 'left'} ${stage} ${m.messageId} ${summary(m.text)}${m.reason ? ` (${m.reason})` : ''}`);
    }
  }
  if (values.json) out.json({ dryRun: values['dry-run'] ?? false, messages: replayed.map(({ stage, messageId, moved, reason, text }) => ({ stage, messageId, moved, reason, text })) });
  else out.result(`${replayed.filter((m) => m.moved).length} ${values['dry-run'] ? 'would be moved' : 'moved'}, ${replayed.filter((m) => !m.moved).length} left in the poison queues`);
  return EXIT.OK;
}

/** host.json's encoding when basegate runs from its package; the host's default otherwise. */
function messageEncoding(): MessageEncoding {
  try {
    return readHostQueueSettings().messageEncoding;
  } catch {
    return DEFAULT_MESSAGE_ENCODING;
  }
}

/** The text as the handlers and the poison watch know it (poison records are keyed by it). */
function canonicalText(text: string): string {
  try {
    return canonicalMessageText(JSON.parse(text));
  } catch {
    return text;
  }
}

function summary(text: string): string {
  try {
    const m = JSON.parse(text) as Record<string, unknown>;
    return [m.kind, m.imageId, m.tag, m.digest].filter((v) => typeof v === 'string').join(' ');
  } catch {
    return JSON.stringify(text.slice(0, 60));
  }
}
