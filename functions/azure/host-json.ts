/**
 * Reads the queue settings of the app's host.json, so that what basegate sends is encoded the
 * way the host will decode it (facts.md: a message in the wrong encoding goes straight to poison).
 * host.json sits at the package root, beside package.json, in the repository and in the
 * deployment package alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { DEFAULT_MESSAGE_ENCODING, type MessageEncoding } from './queue-encoding';

/** The queue settings basegate reads from host.json. */
export interface HostQueueSettings {
  messageEncoding: MessageEncoding;
  maxDequeueCount: number;
}

/** The host's defaults (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json). */
const HOST_DEFAULTS: HostQueueSettings = { messageEncoding: DEFAULT_MESSAGE_ENCODING, maxDequeueCount: 5 };

/** Reads host.json (found at or above this module unless a path is given); throws a ConfigError when it is unreadable or wrong. */
export function readHostQueueSettings(file: string = findHostJson(__dirname)): HostQueueSettings {
  let json: { extensions?: { queues?: { messageEncoding?: unknown; maxDequeueCount?: unknown } } };
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`expected a readable JSON host.json (${(err as Error).message})`, { file, code: 'HOST_JSON_INVALID' });
  }
  const queues = json.extensions?.queues ?? {};
  const encoding = queues.messageEncoding ?? HOST_DEFAULTS.messageEncoding;
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new ConfigError(`expected base64 or none, found ${JSON.stringify(encoding)}`, { file, path: 'extensions.queues.messageEncoding', code: 'HOST_JSON_INVALID' });
  }
  const maxDequeueCount = queues.maxDequeueCount ?? HOST_DEFAULTS.maxDequeueCount;
  if (typeof maxDequeueCount !== 'number' || !Number.isInteger(maxDequeueCount) || maxDequeueCount < 1) {
    throw new ConfigError(`expected a positive integer, found ${JSON.stringify(maxDequeueCount)}`, { file, path: 'extensions.queues.maxDequeueCount', code: 'HOST_JSON_INVALID' });
  }
  return { messageEncoding: encoding, maxDequeueCount };
}

/** The nearest host.json at or above `from`. */
function findHostJson(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'host.json');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new ConfigError(`no host.json at or above ${from}`, { code: 'HOST_JSON_INVALID' });
  }
}
