/**
 * Content digests (https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests):
 * computed over the exact bytes, checked while streaming so nothing unverified is kept.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ContentRejectedError, DigestMismatchError } from '../errors';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** The algorithm of a digest string; refuses anything but sha256 and sha512. */
export function algorithmOf(digest: string): DigestAlgorithm {
  const algorithm = digest.split(':', 1)[0];
  if (algorithm === 'sha256' || algorithm === 'sha512') return algorithm;
  throw new ContentRejectedError('DIGEST_UNSUPPORTED', `digest algorithm ${JSON.stringify(algorithm)} is not supported (sha256 or sha512)`);
}

/** Digest of a buffer, `sha256:<hex>` by default. */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws a {@link DigestMismatchError} unless the bytes hash to the digest. */
export function verifyBytes(what: string, bytes: Uint8Array, expected: string): void {
  const actual = digestOf(bytes, algorithmOf(expected));
  if (actual !== expected) throw new DigestMismatchError(what, expected, actual);
}

/**
 * A pass-through stream that hashes and counts what flows through it, and fails at the end
 * (before the consumer sees the end) when the digest or length differ from what was expected.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private length = 0;

  constructor(
    private readonly what: string,
    private readonly expectedDigest: string,
    private readonly expectedSize?: number,
  ) {
    super();
    this.hash = createHash(algorithmOf(expectedDigest));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.length += chunk.length;
    if (this.expectedSize !== undefined && this.length > this.expectedSize) {
      callback(new ContentRejectedError('SIZE_MISMATCH', `${this.what}: more than the ${this.expectedSize} bytes its descriptor declares`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expectedSize !== undefined && this.length !== this.expectedSize) {
      callback(new ContentRejectedError('SIZE_MISMATCH', `${this.what}: ${this.length} bytes, its descriptor declares ${this.expectedSize}`));
      return;
    }
    const actual = `${algorithmOf(this.expectedDigest)}:${this.hash.digest('hex')}`;
    callback(actual === this.expectedDigest ? null : new DigestMismatchError(this.what, this.expectedDigest, actual));
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.length;
  }
}
