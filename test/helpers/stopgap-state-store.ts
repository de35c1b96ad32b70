/**
 * STOPGAP for the gate tests until functions/state/file-state-store.ts lands (issue #3):
 * an in-memory StateStore honouring the port's etag / ifAbsent contract. Replace, don't reuse.
 */
import { BasegateError } from '../../functions/errors';
import type { AuditRecord, PutOptions, StateKind, StateStore, Versioned } from '../../functions/pipeline/ports';

export class StopgapStateStore implements StateStore {
  private readonly records = new Map<string, { value: unknown; etag: string }>();
  private readonly audit: AuditRecord[] = [];
  private version = 0;

  async get<T>(kind: StateKind, key: string): Promise<Versioned<T> | undefined> {
    const r = this.records.get(`${kind}|${key}`);
    return r ? { value: structuredClone(r.value) as T, etag: r.etag } : undefined;
  }

  async put<T>(kind: StateKind, key: string, value: T, options: PutOptions = {}): Promise<string> {
    const id = `${kind}|${key}`;
    const current = this.records.get(id);
    if (options.ifAbsent && current) throw new BasegateError('STATE_CONFLICT', `${id} exists`);
    if (options.etag !== undefined && current?.etag !== options.etag) throw new BasegateError('STATE_CONFLICT', `${id} changed`);
    const etag = String(++this.version);
    this.records.set(id, { value: structuredClone(value), etag });
    return etag;
  }

  async delete(kind: StateKind, key: string): Promise<void> {
    this.records.delete(`${kind}|${key}`);
  }

  async list<T>(kind: StateKind): Promise<Array<Versioned<T> & { key: string }>> {
    return [...this.records.entries()].filter(([id]) => id.startsWith(`${kind}|`)).map(([id, r]) => ({ key: id.slice(kind.length + 1), value: structuredClone(r.value) as T, etag: r.etag }));
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    this.audit.push(structuredClone(record));
  }

  async listAudit(options: { subject?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    const all = this.audit.filter((a) => options.subject === undefined || a.subject === options.subject);
    return options.limit !== undefined ? all.slice(-options.limit) : all;
  }

  async close(): Promise<void> {}
}
