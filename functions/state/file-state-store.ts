/**
 * StateStore on a local file (the CLI's default: `.basegate/state.json` beside the config).
 *
 * - One process at a time: a lock file (file-lock.ts) is held from open to close.
 * - Atomic: the whole state is written to a temporary file, fsynced, renamed over the state
 *   file and the directory fsynced, so a reader or a crash sees the old state or the new,
 *   never half of one. Writes that arrive while one is in flight are coalesced into the next.
 *   A `deferred` put (ports.ts) is kept in memory and written with the next write, at the
 *   latest {@link DEFERRED_WRITE_MS} later or at close: a no-op sync of 1,000 tags writes the
 *   file once, not once per round of checks.
 * - Records live in memory while the store is open (the lock makes this process the only
 *   writer); conditions (`etag`, `ifAbsent`) are checked and applied synchronously, so they
 *   hold between concurrent calls of this process too.
 * - A state file that does not parse is an error (`STATE_CORRUPT`), never silently reset.
 * - `readOnly` (for `basegate check` and `status`): no lock, sees what a writer wrote since
 *   (every call stats the file and re-reads it only when a write replaced it: a check of 1,000
 *   tags re-parsing a 500 KiB state 1,000 times took 15 s), and every write throws `STATE_READ_ONLY`.
 * - If a write fails (disk full), the store refuses every later call (`STATE_WRITE_FAILED`):
 *   memory would be ahead of the disk.
 */
import { modeToKeep } from './private-file';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BasegateError } from '../errors';
import type { AuditRecord, ListRange, PutOptions, StateKind, StateStore, Versioned } from '../pipeline/ports';
import { FileLock } from './file-lock';
import { JsonlAuditLog } from './jsonl-audit-log';
import { STATE_FILE_VERSION, stateFileSchema } from './state-file-schema';
import { checkPutOptions, serializeStateValue, stateConflict } from './state-value';

/** Options of {@link FileStateStore.open}. */
export interface FileStateStoreOptions {
  /** Take no lock, write nothing (every write throws `STATE_READ_ONLY`). Default false. */
  readOnly?: boolean;
  /** The audit log; default `audit.jsonl` beside the state file. */
  auditFile?: string;
  /** Warnings (stale lock taken over, torn audit line): static message plus metadata. Default: process.emitWarning. */
  warn?: (message: string, meta: Record<string, unknown>) => void;
}

interface Resolved {
  readOnly: boolean;
  auditFile: string;
  warn: (message: string, meta: Record<string, unknown>) => void;
}

/** How long a deferred put waits at most for a write to carry it. */
const DEFERRED_WRITE_MS = 2000;

/** Defaults of {@link FileStateStoreOptions}. */
const DEFAULTS = {
  /** sync and watch write; only check and status ask for read-only. */
  readOnly: false,
  /** Issue #3: the audit is an append-only audit.jsonl beside the state file. */
  auditFileName: 'audit.jsonl',
};

/** Fills the defaults of {@link FileStateStoreOptions}. */
export function resolveFileStateStoreOptions(file: string, options: FileStateStoreOptions = {}): Resolved {
  return {
    readOnly: options.readOnly ?? DEFAULTS.readOnly,
    auditFile: path.resolve(options.auditFile ?? path.join(path.dirname(path.resolve(file)), DEFAULTS.auditFileName)),
    warn: options.warn ?? ((message, meta) => process.emitWarning(`${message} ${JSON.stringify(meta)}`, { code: 'BASEGATE_STATE' })),
  };
}

interface Entry {
  etag: string;
  /** The value as JSON text (parsed anew on every read: callers get copies). */
  json: string;
}

type Records = Map<string, Map<string, Entry>>;

/** A StateStore in one JSON file, with an append-only audit.jsonl beside it. */
export class FileStateStore implements StateStore {
  private records: Records = new Map();
  private revision = 0;
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private failed: unknown;
  private closed = false;
  /** A deferred put is in memory only: the next write carries it. */
  private deferredPending = false;
  private deferredTimer: NodeJS.Timeout | undefined;
  /** Read-only: the load of the file as it was at one identity (see {@link fileIdentity}), shared by concurrent calls. */
  private loaded: { identity: string; done: Promise<void> } | undefined;

  private constructor(
    /** Absolute path of the state file. */
    readonly file: string,
    private readonly options: Resolved,
    private readonly lock: FileLock | undefined,
    private readonly audit: JsonlAuditLog,
  ) {}

  /** Opens the state file (creating its directory), taking the lock unless read-only. */
  static async open(file: string, options: FileStateStoreOptions = {}): Promise<FileStateStore> {
    const resolved = resolveFileStateStoreOptions(file, options);
    const absolute = path.resolve(file);
    const audit = new JsonlAuditLog(resolved.auditFile, resolved.warn);
    if (resolved.readOnly) {
      const store = new FileStateStore(absolute, resolved, undefined, audit);
      await store.ready(); // remembers the identity it read, so the first call does not read the file again
      return store;
    }
    await fs.mkdir(path.dirname(absolute), { recursive: true });
    const lock = await FileLock.acquire(`${absolute}.lock`, { warn: resolved.warn });
    try {
      const store = new FileStateStore(absolute, resolved, lock, audit);
      await store.load();
      await audit.repair();
      return store;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  async get<T>(kind: StateKind, key: string): Promise<Versioned<T> | undefined> {
    await this.ready();
    const entry = this.records.get(kind)?.get(key);
    return entry ? { value: JSON.parse(entry.json) as T, etag: entry.etag } : undefined;
  }

  async put<T>(kind: StateKind, key: string, value: T, options: PutOptions = {}): Promise<string> {
    this.writable();
    checkPutOptions(options);
    const json = serializeStateValue(kind, key, value);
    const existing = this.records.get(kind)?.get(key);
    if (options.ifAbsent && existing) throw stateConflict(kind, key, 'already exists (ifAbsent)');
    if (options.etag !== undefined && !existing) throw stateConflict(kind, key, `was deleted (expected etag ${options.etag})`);
    if (options.etag !== undefined && existing!.etag !== options.etag) throw stateConflict(kind, key, `changed since it was read (etag ${options.etag}, now ${existing!.etag})`);
    const etag = this.nextEtag();
    let table = this.records.get(kind);
    if (!table) this.records.set(kind, (table = new Map()));
    table.set(key, { etag, json });
    if (options.deferred) this.deferWrite();
    else await this.persist();
    return etag;
  }

  async delete(kind: StateKind, key: string): Promise<void> {
    this.writable();
    if (!this.records.get(kind)?.delete(key)) return;
    this.revision++;
    await this.persist();
  }

  async list<T>(kind: StateKind, range: ListRange = {}): Promise<Array<Versioned<T> & { key: string }>> {
    await this.ready();
    const table = this.records.get(kind) ?? new Map<string, Entry>();
    const keys = [...table.keys()].sort().filter((k) => (range.from === undefined || k >= range.from) && (range.before === undefined || k < range.before));
    return keys.slice(0, range.limit ?? keys.length).map((key) => {
      const entry = table.get(key)!;
      return { key, value: JSON.parse(entry.json) as T, etag: entry.etag };
    });
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    this.writable();
    serializeStateValue('audit', record.subject, record); // the same limits as every backend
    await this.audit.append(record);
  }

  async listAudit(options: { subject?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    this.usable();
    return this.audit.list(options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.deferredTimer);
    try {
      if (this.deferredPending && this.failed === undefined) {
        await this.persist().catch((err: unknown) => this.options.warn('deferred state records were not written', { file: this.file, error: (err as Error).message }));
      }
      await this.queued?.catch(() => undefined);
      await this.writing?.catch(() => undefined);
    } finally {
      await this.lock?.release();
    }
  }

  /** Schedules a write for a deferred put, unless one is scheduled already. */
  private deferWrite(): void {
    this.deferredPending = true;
    if (this.deferredTimer) return;
    this.deferredTimer = setTimeout(() => {
      this.deferredTimer = undefined;
      if (this.deferredPending && !this.closed && this.failed === undefined) this.persist().catch(() => undefined); // a failure is kept in `failed`: every later call reports it
    }, DEFERRED_WRITE_MS);
    this.deferredTimer.unref(); // close() writes what is pending
  }

  private nextEtag(): string {
    this.revision++;
    return `"${this.revision}"`;
  }

  private usable(): void {
    if (this.closed) throw new BasegateError('STATE_CLOSED', `state store ${this.file} is closed`);
    if (this.failed !== undefined) {
      throw new BasegateError('STATE_WRITE_FAILED', `an earlier write of ${this.file} failed; reopen the store`, { cause: this.failed });
    }
  }

  private writable(): void {
    this.usable();
    if (this.options.readOnly) throw new BasegateError('STATE_READ_ONLY', `state store ${this.file} is open read-only`);
  }

  /** Read-only stores re-read the file when a writer has replaced it; writable ones hold the truth in memory. */
  private async ready(): Promise<void> {
    this.usable();
    if (!this.options.readOnly) return;
    const identity = await fileIdentity(this.file);
    if (this.loaded?.identity !== identity) {
      // A load overtaken by a newer one must not overwrite what the newer one read.
      const entry: { identity: string; done: Promise<void> } = { identity, done: Promise.resolve() };
      entry.done = this.load(() => this.loaded === entry);
      this.loaded = entry;
    }
    await this.loaded.done;
  }

  /** Reads and checks the file; keeps what it read only while `current()` holds. */
  private async load(current: () => boolean = () => true): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (current()) this.records = new Map();
        return;
      }
      throw err;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw corrupt(this.file, `it is not JSON (${(err as Error).message})`);
    }
    const parsed = stateFileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw corrupt(this.file, `${issue.path.join('.') || 'the document'}: ${issue.message}`);
    }
    const records: Records = new Map();
    for (const [kind, entries] of Object.entries(parsed.data.records)) {
      const table = new Map<string, Entry>();
      for (const [key, entry] of Object.entries(entries)) {
        if (entry.value === undefined) throw corrupt(this.file, `record ${kind}/${key} has no value`);
        table.set(key, { etag: entry.etag, json: JSON.stringify(entry.value) });
      }
      records.set(kind, table);
    }
    if (!current()) return;
    this.records = records;
    this.revision = parsed.data.revision;
  }

  /** Resolves once the current state is on disk; writes requested during a write share the next one. */
  private persist(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.writing) return this.startWrite();
    this.queued = this.writing
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.startWrite();
      });
    return this.queued;
  }

  private startWrite(): Promise<void> {
    this.deferredPending = false; // writeNow serialises the records synchronously, deferred ones included
    const write = this.writeNow().catch((err: unknown) => {
      this.failed = err;
      throw new BasegateError('STATE_WRITE_FAILED', `writing state file ${this.file} failed`, { cause: err });
    });
    const tracked: Promise<void> = write.finally(() => {
      if (this.writing === tracked) this.writing = undefined;
    });
    this.writing = tracked;
    return tracked;
  }

  private async writeNow(): Promise<void> {
    const text = this.serialize();
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    // 0600 when new, the owner's mode when replacing (the temporary file takes it before the rename).
    const mode = await modeToKeep(this.file);
    const handle = await fs.open(tmp, 'w', mode);
    try {
      await handle.chmod(mode); // open's mode passes through the umask; chmod does not
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, this.file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    // The rename is durable only once the directory entry is.
    const dir = await fs.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** The file text, one record per line (readable diffs), built from the stored JSON without re-serialising values. */
  private serialize(): string {
    const kinds = [...this.records.keys()].sort().map((kind) => {
      const table = this.records.get(kind)!;
      const entries = [...table.keys()].sort().map((key) => {
        const e = table.get(key)!;
        return `\n  ${JSON.stringify(key)}: {"etag":${JSON.stringify(e.etag)},"value":${e.json}}`;
      });
      return `\n ${JSON.stringify(kind)}: {${entries.join(',')}\n }`;
    });
    return `{"version":${STATE_FILE_VERSION},"revision":${this.revision},"records":{${kinds.join(',')}\n}}\n`;
  }
}

/**
 * Which version of the file is on disk: writers replace it by rename, so every write gives a new
 * inode, ctime and mtime (nanoseconds); 'absent' when there is none.
 */
async function fileIdentity(file: string): Promise<string> {
  try {
    const s = await fs.stat(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

function corrupt(file: string, why: string): BasegateError {
  return new BasegateError('STATE_CORRUPT', `state file ${file} is corrupt: ${why}. It is never reset automatically: restore it from a backup, or move it away to start from empty state`);
}
