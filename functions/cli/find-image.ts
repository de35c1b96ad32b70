/** Finds the configured images a command-line reference names (`node:20-alpine`, `docker.io/library/node:20-alpine@sha256:...`). */
import type { ConfiguredImage } from '../config/tracked-images';
import { parseReference, type ImageRef } from '../oci/reference';
import { UsageError } from './args';

/** Parses the reference and returns it with every image tracking its repository; a usage error when none does. */
export function findImages(images: readonly ConfiguredImage[], input: string, command: string): { ref: ImageRef; matches: ConfiguredImage[] } {
  let ref: ImageRef;
  try {
    ref = parseReference(input);
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  const matches = images.filter((i) => i.source.name === ref.name || i.target.name === ref.name);
  if (matches.length === 0) {
    throw new UsageError(`${command}: ${ref.name} is not tracked by this config (tracked: ${images.map((i) => i.source.name).join(', ') || 'none'})`);
  }
  return { ref, matches };
}
