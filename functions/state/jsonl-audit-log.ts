/**
 * The local audit: one JSON record per line in `audit.jsonl`, only ever appended to.
 * Appends are serialised in-process and each is one write with O_APPEND. A crash can leave
 * a torn last line (no newline); it is cut off, with a warning, before the next append, and
 * skipped when read. Any other line that does not parse is an error, never skipped.
 */
import { PRIVATE_FILE_MODE } from './private-file';
import { promises as fs } from 'node:fs';
import { BasegateError } from '../errors';
import type { AuditRecord } from '../pipeline/ports';

/** Append-only JSON lines file of audit records. */
export class JsonlAuditLog {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly warn: (message: string, meta: Record<string, unknown>) => void,
  ) {}

  /** Cuts a torn last line left by a crash, so that the next append starts on a fresh line. */
  async repair(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (text.length === 0 || text.endsWith('\n')) return;
    const keep = text.lastIndexOf('\n') + 1;
    this.warn('cutting a torn last line from the audit log', { file: this.path, bytes: Buffer.byteLength(text.slice(keep)) });
    await fs.truncate(this.path, Buffer.byteLength(text.slice(0, keep)));
  }

  /** Appends one record (in call order). */
  append(record: AuditRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const next = this.chain.then(() => fs.appendFile(this.path, line, { mode: PRIVATE_FILE_MODE }));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Records, oldest first; only `subject`'s when given; the newest `limit` when given. */
  async list(options: { subject?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    await this.chain;
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const lines = text.split('\n');
    const torn = lines.pop(); // '' after the final newline, or a torn line
    if (torn) this.warn('skipping a torn last line of the audit log', { file: this.path });
    const records: AuditRecord[] = [];
    lines.forEach((line, i) => {
      let record: AuditRecord;
      try {
        record = JSON.parse(line) as AuditRecord;
      } catch {
        throw new BasegateError('STATE_CORRUPT', `audit log ${this.path} line ${i + 1} is not JSON; fix or move the file (it is never rewritten by basegate)`);
      }
      if (options.subject === undefined || record.subject === options.subject) records.push(record);
    });
    return options.limit === undefined ? records : records.slice(Math.max(0, records.length - options.limit));
  }
}
