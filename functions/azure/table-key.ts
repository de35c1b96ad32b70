/**
 * Table Storage keys. PartitionKey and RowKey may not contain `/`, `\`, `#`, `?` or control
 * characters, and are at most 1 KiB
 * (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#characters-disallowed-in-key-fields).
 * basegate keys (`docker.io/library/node→base/node:20-alpine`) are percent-encoded, which is
 * reversible and keeps the order of plain ASCII keys; the few that would pass 1 KiB become a
 * hash (the original key is also stored as a property, so nothing is lost).
 */
import { createHash } from 'node:crypto';

/** Longest key Table Storage takes, in characters (1 KiB of UTF-16 would be 512: stay well under both). */
const MAX_KEY = 500;

/** Encodes any string into a valid PartitionKey/RowKey. */
export function encodeTableKey(key: string): string {
  // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ); quote and brackets too, for OData URLs.
  const encoded = encodeURIComponent(key).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encoded.length <= MAX_KEY ? encoded : `~${createHash('sha256').update(key).digest('hex')}`;
}
