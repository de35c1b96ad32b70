/**
 * The local state file (`.basegate/state.json`): every record with its etag, and a revision
 * counter that makes etags unique for the file's whole life (a deleted and re-created record
 * never gets an old etag back). Written whole and atomically by FileStateStore.
 */
import { z } from 'zod';

/** Version of the file format; a newer one is refused rather than misread. */
export const STATE_FILE_VERSION = 1;

/** The file as written. */
export const stateFileSchema = z.object({
  version: z.literal(STATE_FILE_VERSION),
  revision: z.int().min(0),
  records: z.record(z.string(), z.record(z.string(), z.object({ etag: z.string().min(1), value: z.unknown() }))),
});

/** The parsed state file. */
export type StateFile = z.infer<typeof stateFileSchema>;
