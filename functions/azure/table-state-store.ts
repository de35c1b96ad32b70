/**
 * StateStore on Azure Table Storage (`@azure/data-tables`), for the Functions app.
 *
 * - The state table (TABLES.state): PartitionKey = kind, RowKey = encoded key (table-key.ts). The value is
 *   JSON in string properties `v0..vN` (a string property holds 64 KiB; an entity 1 MiB), the
 *   original key in `key`.
 * - Optimistic concurrency by ETag: `put({ etag })` is `updateEntity(Replace, { etag })` (412 →
 *   STATE_CONFLICT), `put({ ifAbsent })` is `createEntity` (409 → STATE_CONFLICT).
 * - The audit table (TABLES.audit): PartitionKey = encoded subject, RowKey = inverted append time + sequence +
 *   random suffix, so a partition lists newest first and `listAudit({ subject, limit })` reads
 *   only `limit` entities. Listing all subjects scans the table (status pages, not hot paths).
 * - Throttling and outages (408, 429, 5xx, network) become temporary `STATE_UNAVAILABLE`.
 */
import { randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { odata, TableClient, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { BasegateError } from '../errors';
import type { AuditRecord, ListRange, PutOptions, StateKind, StateStore, Versioned } from '../pipeline/ports';
import { checkPutOptions, chunkJson, MAX_CHUNKS, serializeStateValue, stateConflict } from '../state/state-value';
import { TABLES } from './names';
import { storageError, storageStatus } from './storage-error';
import { encodeTableKey } from './table-key';

/** Options of {@link TableStateStore}: a connection string, or an endpoint and a credential (managed identity). */
export interface TableStateStoreOptions {
  connectionString?: string;
  /** Table service endpoint, `https://<account>.table.core.windows.net`. */
  endpoint?: string;
  credential?: TokenCredential;
  stateTable?: string;
  auditTable?: string;
  /** Plain http (Azurite). Default: only for loopback endpoints. */
  allowInsecureConnection?: boolean;
}

/** Defaults of {@link TableStateStoreOptions}. */
const DEFAULTS = {
  /** The names the Bicep declares (names.ts); other names are for tests sharing one Azurite. */
  stateTable: TABLES.state,
  auditTable: TABLES.audit,
};

type Resolved = Required<Pick<TableStateStoreOptions, 'stateTable' | 'auditTable'>> & { state: TableClient; audit: TableClient };

/** Checks the options and builds the two table clients; refuses both or neither of connection string and endpoint. */
export function resolveTableStateStoreOptions(options: TableStateStoreOptions): Resolved {
  const stateTable = options.stateTable ?? DEFAULTS.stateTable;
  const auditTable = options.auditTable ?? DEFAULTS.auditTable;
  for (const name of [stateTable, auditTable]) {
    if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(name)) throw new BasegateError('STATE_OPTIONS_INVALID', `table name ${JSON.stringify(name)} must be 3-63 letters and digits, starting with a letter`);
  }
  const hasString = options.connectionString !== undefined;
  const hasEndpoint = options.endpoint !== undefined || options.credential !== undefined;
  if (hasString === hasEndpoint) {
    throw new BasegateError('STATE_OPTIONS_INVALID', 'give the table state store either a connection string, or an endpoint and a credential (not both, not neither)');
  }
  if (hasString) {
    const insecure = options.allowInsecureConnection ?? /(?:Endpoint=http:\/\/(?:127\.|localhost)|UseDevelopmentStorage=true)/i.test(options.connectionString!);
    const make = (table: string) => TableClient.fromConnectionString(options.connectionString!, table, { allowInsecureConnection: insecure });
    return { stateTable, auditTable, state: make(stateTable), audit: make(auditTable) };
  }
  if (!options.endpoint || !options.credential) throw new BasegateError('STATE_OPTIONS_INVALID', 'an endpoint needs a credential, and a credential an endpoint');
  const insecure = options.allowInsecureConnection ?? /^http:\/\/(?:127\.|localhost)/.test(options.endpoint);
  const make = (table: string) => new TableClient(options.endpoint!, table, options.credential!, { allowInsecureConnection: insecure });
  return { stateTable, auditTable, state: make(stateTable), audit: make(auditTable) };
}

/** Largest value of Date.now() the inverted time can hold (year 2286). */
const MAX_TIME = 9_999_999_999_999;

/** A StateStore in two Azure tables. */
export class TableStateStore implements StateStore {
  private readonly clients: Resolved;
  private created: Promise<void> | undefined;
  private lastTime = 0;
  private sequence = 0;

  constructor(options: TableStateStoreOptions) {
    this.clients = resolveTableStateStoreOptions(options);
  }

  async get<T>(kind: StateKind, key: string): Promise<Versioned<T> | undefined> {
    await this.ready();
    try {
      const entity = await this.clients.state.getEntity(kind, encodeTableKey(key));
      return { value: readValue<T>(entity), etag: entity.etag };
    } catch (err) {
      if (storageStatus(err) === 404) return undefined;
      throw storageError(err, 'STATE_UNAVAILABLE', `reading ${kind}/${key}`);
    }
  }

  async put<T>(kind: StateKind, key: string, value: T, options: PutOptions = {}): Promise<string> {
    checkPutOptions(options);
    const entity = toEntity(kind, encodeTableKey(key), key, serializeStateValue(kind, key, value));
    await this.ready();
    try {
      if (options.ifAbsent) return (await this.clients.state.createEntity(entity)).etag!;
      if (options.etag !== undefined) return (await this.clients.state.updateEntity(entity, 'Replace', { etag: options.etag })).etag!;
      return (await this.clients.state.upsertEntity(entity, 'Replace')).etag!;
    } catch (err) {
      const code = storageStatus(err);
      if (options.ifAbsent && code === 409) throw stateConflict(kind, key, 'already exists (ifAbsent)');
      if (options.etag !== undefined && code === 412) throw stateConflict(kind, key, `changed since it was read (etag ${options.etag})`);
      if (options.etag !== undefined && code === 404) throw stateConflict(kind, key, `was deleted (expected etag ${options.etag})`);
      throw storageError(err, 'STATE_UNAVAILABLE', `writing ${kind}/${key}`);
    }
  }

  async delete(kind: StateKind, key: string): Promise<void> {
    await this.ready();
    try {
      await this.clients.state.deleteEntity(kind, encodeTableKey(key));
    } catch (err) {
      if (storageStatus(err) !== 404) throw storageError(err, 'STATE_UNAVAILABLE', `deleting ${kind}/${key}`);
    }
  }

  async list<T>(kind: StateKind, range: ListRange = {}): Promise<Array<Versioned<T> & { key: string }>> {
    await this.ready();
    const out: Array<Versioned<T> & { key: string }> = [];
    // A range is a RowKey range in the kind's partition: the service reads only the entities in it.
    let filter = odata`PartitionKey eq ${kind}`;
    if (range.from !== undefined) filter += ` and ${odata`RowKey ge ${encodeTableKey(range.from)}`}`;
    if (range.before !== undefined) filter += ` and ${odata`RowKey lt ${encodeTableKey(range.before)}`}`;
    const limit = range.limit ?? Infinity;
    try {
      // Pages come in RowKey order; a page may be short while more follow, so read on until the limit.
      for await (const page of this.clients.state.listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(1000, limit) })) {
        for (const entity of page) {
          if (out.length >= limit) break;
          out.push({ key: String(entity.key), value: readValue<T>(entity), etag: entity.etag });
        }
        if (out.length >= limit) break;
      }
    } catch (err) {
      throw storageError(err, 'STATE_UNAVAILABLE', `listing ${kind}`);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    const json = serializeStateValue('audit', record.subject, record);
    const { inverted, order } = this.nextOrder();
    const rowKey = `${inverted}-${randomBytes(4).toString('hex')}`;
    const entity = { ...toEntity(encodeTableKey(record.subject), rowKey, record.subject, json), order, at: record.at, stage: record.stage, outcome: record.outcome };
    await this.ready();
    try {
      await this.clients.audit.createEntity(entity);
    } catch (err) {
      throw storageError(err, 'STATE_UNAVAILABLE', `appending audit for ${record.subject}`);
    }
  }

  async listAudit(options: { subject?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    await this.ready();
    const rows: Array<{ order: string; record: AuditRecord }> = [];
    const query = options.subject === undefined ? {} : { queryOptions: { filter: odata`PartitionKey eq ${encodeTableKey(options.subject)}` } };
    try {
      for await (const entity of this.clients.audit.listEntities(query)) {
        rows.push({ order: String(entity.order), record: readValue<AuditRecord>(entity) });
        // One partition comes newest first: the newest `limit` are the first `limit`.
        if (options.subject !== undefined && options.limit !== undefined && rows.length >= options.limit) break;
      }
    } catch (err) {
      throw storageError(err, 'STATE_UNAVAILABLE', 'listing the audit');
    }
    rows.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    const records = rows.map((r) => r.record);
    return options.limit === undefined ? records : records.slice(Math.max(0, records.length - options.limit));
  }

  async close(): Promise<void> {
    // TableClient holds no handles that need closing (its HTTP agent is shared and idle sockets time out).
  }

  /** Creates both tables once per store (idempotent: an existing table is fine). */
  private ready(): Promise<void> {
    this.created ??= Promise.all([this.clients.state.createTable(), this.clients.audit.createTable()]).then(
      () => undefined,
      (err: unknown) => {
        this.created = undefined;
        throw storageError(err, 'STATE_UNAVAILABLE', 'creating the state tables');
      },
    );
    return this.created;
  }

  /** Monotonic append order within this process: inverted for RowKeys (newest first), straight for sorting. */
  private nextOrder(): { inverted: string; order: string } {
    const now = Math.max(Date.now(), this.lastTime);
    this.sequence = now === this.lastTime ? this.sequence + 1 : 0;
    this.lastTime = now;
    const seq = String(this.sequence).padStart(6, '0');
    return {
      inverted: `${String(MAX_TIME - now).padStart(13, '0')}-${String(999_999 - this.sequence).padStart(6, '0')}`,
      order: `${String(now).padStart(13, '0')}-${seq}`,
    };
  }
}

function toEntity(partitionKey: string, rowKey: string, key: string, json: string): TableEntity<Record<string, unknown>> {
  const chunks = chunkJson(json);
  if (chunks.length > MAX_CHUNKS) throw new BasegateError('STATE_VALUE_TOO_LARGE', `state record ${key} needs ${chunks.length} chunks; at most ${MAX_CHUNKS} fit an entity`);
  const entity: TableEntity<Record<string, unknown>> = { partitionKey, rowKey, key, chunks: chunks.length };
  chunks.forEach((chunk, i) => (entity[`v${i}`] = chunk));
  return entity;
}

function readValue<T>(entity: TableEntityResult<Record<string, unknown>>): T {
  const count = Number(entity.chunks);
  if (!Number.isInteger(count) || count < 1) throw new BasegateError('STATE_CORRUPT', `table entity ${entity.partitionKey}/${entity.rowKey} has no value chunks`);
  let json = '';
  for (let i = 0; i < count; i++) json += String(entity[`v${i}`] ?? '');
  try {
    return JSON.parse(json) as T;
  } catch {
    throw new BasegateError('STATE_CORRUPT', `table entity ${entity.partitionKey}/${entity.rowKey} holds a value that is not JSON`);
  }
}
