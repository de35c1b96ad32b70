/**
 * Cosign's own signature format (cosign before the Sigstore bundle; cosign v2's default): a
 * manifest tagged `sha256-<hex>.sig` (or, in OCI 1.1 mode, a referrer of artifact type
 * `application/vnd.dev.cosign.artifact.sig.v1+json`) whose layers are simple-signing payloads
 * (`application/vnd.dev.cosign.simplesigning.v1+json`):
 * `{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":"cosign container image signature"},"optional":…}`.
 * Each layer's annotations carry the signature over the payload bytes
 * (`dev.cosignproject.cosign/signature`, base64) and, for keyless, the PEM certificate
 * (`dev.sigstore.cosign/certificate`), the transparency log's signed entry timestamp
 * (`dev.sigstore.cosign/bundle`: `{"SignedEntryTimestamp":b64,"Payload":{"body":b64,"integratedTime","logIndex","logID":hex}}`)
 * and an RFC 3161 timestamp over the signature (`dev.sigstore.cosign/rfc3161timestamp`:
 * `{"SignedRFC3161Timestamp":b64}`). Formats: sigstore/cosign pkg/cosign/bundle, pkg/oci/static.
 *
 * A payload that does not name the judged digest is not a signature over it, however valid.
 * The payload is verified with node:crypto (the key's own algorithm); everything else (certificate
 * chain, log entry, timestamps) by @sigstore/verify, from the SignedEntity built here.
 */
import * as crypto from 'node:crypto';
import { RFC3161Timestamp, X509Certificate, pem } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';
import { ContentRejectedError } from '../../errors';
import { imageManifestSchema } from '../../oci/schema';
import type { ImageInspector } from '../../pipeline/gate-port';
import { cosignArtifactType } from '../image-inspector';
import type { FoundSignature } from './verify-signed';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const ANNOTATION = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  bundle: 'dev.sigstore.cosign/bundle',
  timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
};
/** A simple-signing payload is a few hundred bytes. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Signatures looked at per manifest: cosign appends one layer per signature. */
const MAX_LAYERS = 32;

/** A found signature, or why what was found is not one over this digest. */
export type Found = FoundSignature | { where: string; problem: string };

/** Every cosign simple-signing signature attached to the digest under judgement. */
export async function cosignSignatures(inspector: ImageInspector, digest: string): Promise<Found[]> {
  const artifacts = await inspector.referrers(cosignArtifactType('sig'));
  const out: Found[] = [];
  for (const artifact of artifacts) {
    let manifest: ReturnType<typeof parseManifest>;
    try {
      manifest = parseManifest((await inspector.manifest(artifact.digest)).bytes, artifact.digest);
    } catch (err) {
      if (!(err instanceof ContentRejectedError)) throw err;
      out.push({ where: `cosign signature ${artifact.digest.slice(0, 19)}`, problem: err.message });
      continue;
    }
    const layers = manifest.layers.filter((l) => l.mediaType === SIMPLE_SIGNING).slice(0, MAX_LAYERS);
    for (const [i, layer] of layers.entries()) {
      const where = `cosign signature ${artifact.digest.slice(0, 19)} layer ${i}`;
      try {
        out.push(await fromLayer(inspector, digest, where, layer));
      } catch (err) {
        if (!(err instanceof ContentRejectedError)) throw err;
        out.push({ where, problem: err.message });
      }
    }
  }
  return out;
}

async function fromLayer(inspector: ImageInspector, digest: string, where: string, layer: { digest: string; size: number; annotations?: Record<string, string> }): Promise<Found> {
  const notes = layer.annotations ?? {};
  const signature = notes[ANNOTATION.signature];
  if (!signature) return { where, problem: `no ${ANNOTATION.signature} annotation` };
  const payload = await inspector.blob(layer, MAX_PAYLOAD_BYTES);
  const named = payloadDigest(payload);
  if (named !== digest) return { where, problem: named ? `the payload names ${named}, not this digest` : 'the payload is not a cosign simple-signing payload' };
  const sig = Buffer.from(signature, 'base64');
  const certificate = notes[ANNOTATION.certificate];
  const leaf = certificate ? decoded(ANNOTATION.certificate, () => pem.toDER(certificate)) : undefined;
  const entity: SignedEntity = {
    signature: {
      signature: sig,
      compareSignature: (other) => other.equals(sig),
      compareDigest: (d) => d.equals(crypto.createHash('sha256').update(payload).digest()),
      // The key's own algorithm: Ed25519 takes none, ECDSA and RSA (PKCS#1 v1.5) SHA-256, as cosign signs.
      verifySignature: (key) => crypto.verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, sig),
    },
    key: leaf ? { $case: 'certificate', certificate: decoded(ANNOTATION.certificate, () => X509Certificate.parse(leaf)) } : { $case: 'public-key', hint: '' },
    tlogEntries: [],
    timestamps: [],
  };
  const rekor = notes[ANNOTATION.bundle];
  if (rekor) {
    const entry = tlogEntry(rekor);
    entity.tlogEntries.push(entry);
    entity.timestamps.push({ $case: 'transparency-log', tlogEntry: entry });
  }
  const stamp = notes[ANNOTATION.timestamp];
  if (stamp) entity.timestamps.push({ $case: 'timestamp-authority', timestamp: decoded(ANNOTATION.timestamp, () => RFC3161Timestamp.parse(rfc3161Bytes(stamp))) });
  return { where, entity, ...(leaf ? { leaf } : {}) };
}

/** `critical.image.docker-manifest-digest` of a simple-signing payload, when it is one. */
function payloadDigest(payload: Buffer): string | undefined {
  try {
    const json = JSON.parse(payload.toString('utf8'));
    if (json?.critical?.type !== 'cosign container image signature') return undefined;
    const named = json.critical.image?.['docker-manifest-digest'];
    return typeof named === 'string' ? named : undefined;
  } catch {
    return undefined;
  }
}

/** The transparency-log entry of cosign's `bundle` annotation, as @sigstore/verify reads one. */
function tlogEntry(annotation: string): SignedEntity['tlogEntries'][number] {
  const parsed = parseJson(annotation, ANNOTATION.bundle) as { SignedEntryTimestamp?: string; Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string } };
  const p = parsed.Payload;
  if (typeof parsed.SignedEntryTimestamp !== 'string' || typeof p?.body !== 'string' || typeof p.logID !== 'string' || !Number.isInteger(p.integratedTime) || !Number.isInteger(p.logIndex)) {
    throw new ContentRejectedError('SIGNATURE_INVALID', `${ANNOTATION.bundle} is not a Rekor bundle (SignedEntryTimestamp, Payload.body, integratedTime, logIndex, logID)`);
  }
  const body = Buffer.from(p.body, 'base64');
  const kind = parseJson(body.toString('utf8'), 'the Rekor entry body') as { kind?: unknown; apiVersion?: unknown };
  return {
    logIndex: String(p.logIndex),
    logId: { keyId: Buffer.from(p.logID, 'hex') },
    kindVersion: { kind: String(kind.kind), version: String(kind.apiVersion) },
    integratedTime: String(p.integratedTime),
    inclusionPromise: { signedEntryTimestamp: Buffer.from(parsed.SignedEntryTimestamp, 'base64') },
    inclusionProof: undefined,
    canonicalizedBody: body,
  };
}

function rfc3161Bytes(annotation: string): Buffer<ArrayBuffer> {
  const parsed = parseJson(annotation, ANNOTATION.timestamp) as { SignedRFC3161Timestamp?: unknown };
  if (typeof parsed.SignedRFC3161Timestamp !== 'string') throw new ContentRejectedError('SIGNATURE_INVALID', `${ANNOTATION.timestamp} has no SignedRFC3161Timestamp`);
  return Buffer.from(parsed.SignedRFC3161Timestamp, 'base64');
}

/** Runs a decoder of untrusted bytes; its failure is the signature's problem, not an error of basegate. */
export function decoded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ContentRejectedError) throw err;
    throw new ContentRejectedError('SIGNATURE_INVALID', `${what} cannot be decoded: ${(err as Error).message}`);
  }
}

function parseJson(text: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object') return value;
  } catch {
    // reported below
  }
  throw new ContentRejectedError('SIGNATURE_INVALID', `${what} is not a JSON object`);
}

function parseManifest(bytes: Buffer, digest: string) {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ContentRejectedError('SIGNATURE_INVALID', `signature manifest ${digest} is not JSON`);
  }
  const parsed = imageManifestSchema.safeParse(json);
  if (!parsed.success) throw new ContentRejectedError('SIGNATURE_INVALID', `signature manifest ${digest} is not an image manifest`);
  return parsed.data;
}
