/**
 * Sigstore bundles attached as OCI 1.1 referrers (cosign v3): a manifest of artifact type
 * `application/vnd.dev.sigstore.bundle.v0.3+json` whose `subject` is the image and whose layer is
 * the bundle (https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_bundle.proto).
 * The bundle's DSSE envelope carries an in-toto statement (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md);
 * cosign's image signature is the predicate type `https://sigstore.dev/cosign/sign/v1`, other
 * predicate types (SBOMs, provenance, vulnerability reports) are attestations with the same
 * artifact type, never signatures. A bundle counts for a digest only when both the referrer
 * manifest's `subject` and a statement `subject` name that digest.
 *
 * Registries without the referrers API (distribution 2.8) list them through the referrers tag
 * schema (`sha256-<hex>`, the Registry port's fallback).
 */
import { BUNDLE_V03_MEDIA_TYPE, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity } from '@sigstore/verify';
import { ContentRejectedError } from '../../errors';
import { imageManifestSchema } from '../../oci/schema';
import type { ImageInspector } from '../../pipeline/gate-port';
import { decoded } from './cosign-legacy';
import type { FoundSignature } from './verify-signed';

/** Predicate type of cosign's image signature in a bundle. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];
/** A bundle with a certificate chain is a few KiB; an attestation carrying a scan report can be larger. */
const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

/** A bundle's statement once its envelope is read (not yet verified). */
export interface BundleStatement extends FoundSignature {
  predicateType: string;
  predicate: unknown;
}

/** A bundle about the digest, or why a referrer is not one. */
export type FoundBundle = BundleStatement | { where: string; problem: string; predicateType?: string };

/** Every bundle referrer of the digest, read and checked against it; verification is the caller's. */
export async function sigstoreBundles(inspector: ImageInspector, digest: string): Promise<FoundBundle[]> {
  const out: FoundBundle[] = [];
  for (const referrer of await inspector.referrers(BUNDLE_V03_MEDIA_TYPE)) {
    const where = `sigstore bundle ${referrer.digest.slice(0, 19)}`;
    try {
      out.push(await readBundle(inspector, digest, where, referrer.digest));
    } catch (err) {
      if (!(err instanceof ContentRejectedError)) throw err;
      out.push({ where, problem: err.message });
    }
  }
  return out;
}

async function readBundle(inspector: ImageInspector, digest: string, where: string, manifestDigest: string): Promise<FoundBundle> {
  const raw = await inspector.manifest(manifestDigest);
  const manifest = decoded(`referrer manifest ${manifestDigest}`, () => imageManifestSchema.parse(JSON.parse(raw.bytes.toString('utf8'))));
  if (manifest.subject?.digest !== digest) return { where, problem: `the referrer's subject is ${manifest.subject?.digest ?? 'missing'}, not this digest` };
  const layer = manifest.layers.find((l) => l.mediaType === BUNDLE_V03_MEDIA_TYPE);
  if (!layer) return { where, problem: `no layer of media type ${BUNDLE_V03_MEDIA_TYPE}` };
  const blob = await inspector.blob(layer, MAX_BUNDLE_BYTES);
  const bundle: Bundle = decoded('the bundle', () => bundleFromJSON(JSON.parse(blob.toString('utf8'))));
  if (bundle.content.$case !== 'dsseEnvelope') return { where, problem: 'a message-signature bundle: an image signature is a DSSE in-toto statement' };
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD) return { where, problem: `DSSE payload type ${envelope.payloadType}, expected ${IN_TOTO_PAYLOAD}` };
  const statement = decoded('the in-toto statement', () => JSON.parse(envelope.payload.toString('utf8'))) as { _type?: unknown; predicateType?: unknown; subject?: unknown; predicate?: unknown };
  if (!STATEMENT_TYPES.includes(String(statement?._type)) || typeof statement.predicateType !== 'string') return { where, problem: 'the payload is not an in-toto statement' };
  const predicateType = statement.predicateType;
  if (!statementNames(statement, digest)) return { where, predicateType, problem: 'the statement\'s subject does not name this digest' };
  const entity = decoded('the bundle', () => toSignedEntity(bundle));
  const material = bundle.verificationMaterial.content;
  const leaf = material.$case === 'x509CertificateChain' ? material.x509CertificateChain.certificates[0]?.rawBytes : material.$case === 'certificate' ? material.certificate.rawBytes : undefined;
  return { where, entity, predicateType, predicate: statement.predicate, ...(leaf ? { leaf: Buffer.from(leaf) } : {}) };
}

/** The statement's subjects name the digest (`{ "digest": { "sha256": "<hex>" } }`). */
export function statementNames(statement: { subject?: unknown }, digest: string): boolean {
  const [alg, hex] = digest.split(':');
  return Array.isArray(statement.subject) && statement.subject.some((s) => (s as { digest?: Record<string, unknown> })?.digest?.[alg] === hex);
}
