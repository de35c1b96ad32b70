/**
 * Sizes in the config (`500MB`, `1.5GiB`): decimal units (KB = 1000 B) as registries and
 * `docker images` print them, binary units (KiB = 1024 B) when written so. Units are
 * case-insensitive (`mb` is a megabyte: nobody limits images in bits). A bare number is bytes.
 */
import { BasegateError } from '../errors';

const FACTORS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};
const SIZE = /^(\d{1,15}(?:\.\d{1,6})?)\s*([a-z]*)$/i;

/** Parses `500MB`, `1.5GiB`, `1024` (bytes) into a whole number of bytes; throws `SIZE_INVALID` otherwise. */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input;
    throw new BasegateError('SIZE_INVALID', `expected a size such as 500MB or a whole number of bytes, found ${input}`);
  }
  const match = typeof input === 'string' ? SIZE.exec(input.trim()) : null;
  const factor = match ? FACTORS[(match[2] || 'b').toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new BasegateError('SIZE_INVALID', `expected a size such as 500MB or 2GiB (B, KB, MB, GB, TB; KiB, MiB, GiB, TiB), found ${JSON.stringify(input)}`);
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new BasegateError('SIZE_INVALID', `size ${JSON.stringify(input)} is too large`);
  return bytes;
}
