/**
 * Signs image digests the way cosign does, with test keys and the throwaway trust root of
 * sigstore-trust-root.ts, and pushes the signatures to a registry:
 * - cosign's simple-signing format: layers of a manifest tagged `sha256-<hex>.sig`, the signature
 *   and (keyless) certificate, Rekor bundle and RFC 3161 timestamp in layer annotations;
 * - Sigstore bundles v0.3 (a DSSE in-toto statement, predicate `https://sigstore.dev/cosign/sign/v1`)
 *   as OCI 1.1 referrers, listed in the referrers tag schema (`sha256-<hex>`) for registries
 *   without the referrers API.
 */
import * as crypto from 'node:crypto';
import { dsse } from '@sigstore/core';
import { rawGetManifest, rawPushBlob, rawPushManifest, sha256, type RawTarget } from './raw-registry';
import { canonical, logEntry, rfc3161, type Keyless, type LogEntry, type TestTrustRoot } from './sigstore-trust-root';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = Buffer.from('{}');

/** Who signs: a private key, or a keyless signer (ephemeral key + certificate). */
export type Signer = { key: crypto.KeyObject } | { keyless: Keyless };

export interface SignOptions {
  signer: Signer;
  /** The trust root whose log and TSA add evidence. */
  root?: TestTrustRoot;
  /** Add a transparency-log entry. */
  tlog?: boolean;
  /** Add an RFC 3161 timestamp over the signature. */
  tsa?: boolean;
}

function keyOf(signer: Signer): crypto.KeyObject {
  return 'key' in signer ? signer.key : signer.keyless.key;
}

function sign(signer: Signer, data: Buffer): Buffer {
  const key = keyOf(signer);
  return crypto.sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key);
}

/** The public half as the log records it: the certificate PEM, or the key PEM. */
function verifierPem(signer: Signer): string {
  return 'keyless' in signer ? signer.keyless.certPem : (crypto.createPublicKey(signer.key).export({ type: 'spki', format: 'pem' }) as string);
}

/** A cosign simple-signing payload naming `digest`. */
export function simpleSigningPayload(digest: string, reference = 'registry.test/image'): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

/** One cosign signature layer: its payload bytes and annotations. `tamper` changes the payload after signing. */
export function legacySignature(digest: string, options: SignOptions & { tamper?: boolean; payloadDigest?: string }): { payload: Buffer; annotations: Record<string, string> } {
  const signed = simpleSigningPayload(options.payloadDigest ?? digest);
  const signature = sign(options.signer, signed);
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': signature.toString('base64') };
  if ('keyless' in options.signer) annotations['dev.sigstore.cosign/certificate'] = options.signer.keyless.certPem;
  if (options.tlog) {
    const body = Buffer.from(canonical({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: crypto.createHash('sha256').update(signed).digest('hex') } }, signature: { content: signature.toString('base64'), publicKey: { content: Buffer.from(verifierPem(options.signer)).toString('base64') } } } }));
    const e = logEntry(options.root!, body);
    annotations['dev.sigstore.cosign/bundle'] = JSON.stringify({ SignedEntryTimestamp: e.set.toString('base64'), Payload: { body: body.toString('base64'), integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logIdHex } });
  }
  if (options.tsa) annotations['dev.sigstore.cosign/rfc3161timestamp'] = JSON.stringify({ SignedRFC3161Timestamp: rfc3161(options.root!, signature).toString('base64') });
  const payload = options.tamper ? Buffer.from(signed.toString().replace('"optional":null', '"optional":{"tampered":true}')) : signed;
  return { payload, annotations };
}

/** Pushes cosign signature layers for `subject` under its `sha256-<hex>.sig` tag. */
export async function pushCosignSignatures(target: RawTarget, repo: string, subjectDigest: string, layers: Array<{ payload: Buffer; annotations: Record<string, string> }>): Promise<string> {
  const emptyDigest = await rawPushBlob(target, repo, EMPTY);
  const descriptors = [];
  for (const l of layers) descriptors.push({ mediaType: SIMPLE_SIGNING, digest: await rawPushBlob(target, repo, l.payload), size: l.payload.length, annotations: l.annotations });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: emptyDigest, size: EMPTY.length }, layers: descriptors }));
  await rawPushManifest(target, repo, `${subjectDigest.replace(':', '-')}.sig`, OCI_MANIFEST, bytes);
  return sha256(bytes);
}

/** A Sigstore bundle v0.3 over an in-toto statement about `digest`. */
export function sigstoreBundle(digest: string, options: SignOptions & { predicateType?: string; predicate?: unknown; statementDigest?: string; tamper?: boolean }): Record<string, unknown> {
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'image', digest: { sha256: (options.statementDigest ?? digest).split(':')[1] } }], predicateType: options.predicateType ?? SIGN_PREDICATE, predicate: options.predicate ?? {} };
  const payload = Buffer.from(JSON.stringify(statement));
  const payloadType = 'application/vnd.in-toto+json';
  const signature = sign(options.signer, dsse.preAuthEncoding(payloadType, payload));
  const envelope = { payload: payload.toString('base64'), payloadType, signatures: [{ sig: signature.toString('base64'), keyid: '' }] };
  const tlogEntries: unknown[] = [];
  if (options.tlog) {
    const hash = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    const body = Buffer.from(canonical({ apiVersion: '0.0.1', kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: hash(Buffer.from(JSON.stringify(envelope))) }, payloadHash: { algorithm: 'sha256', value: hash(payload) }, signatures: [{ signature: signature.toString('base64'), verifier: Buffer.from(verifierPem(options.signer)).toString('base64') }] } }));
    tlogEntries.push(bundleEntry(logEntry(options.root!, body), 'dsse'));
  }
  const signed = options.tamper ? { ...envelope, payload: Buffer.from(JSON.stringify({ ...statement, predicate: { tampered: true } })).toString('base64') } : envelope;
  return {
    mediaType: BUNDLE_TYPE,
    verificationMaterial: {
      ...('keyless' in options.signer ? { certificate: { rawBytes: options.signer.keyless.certDer.toString('base64') } } : { publicKey: { hint: 'test-key' } }),
      tlogEntries,
      ...(options.tsa ? { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: rfc3161(options.root!, signature).toString('base64') }] } } : {}),
    },
    dsseEnvelope: signed,
  };
}

function bundleEntry(e: LogEntry, kind: string) {
  return {
    logIndex: String(e.logIndex),
    logId: { keyId: Buffer.from(e.logIdHex, 'hex').toString('base64') },
    kindVersion: { kind, version: '0.0.1' },
    integratedTime: String(e.integratedTime),
    inclusionPromise: { signedEntryTimestamp: e.set.toString('base64') },
    inclusionProof: { logIndex: String(e.logIndex), rootHash: e.rootHash.toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: e.checkpoint } },
    canonicalizedBody: e.body.toString('base64'),
  };
}

/** The subject as a descriptor. */
export interface Subject {
  digest: string;
  mediaType: string;
  size: number;
}

/**
 * Pushes a bundle as a referrer of `subject` and lists it in the referrers tag schema index
 * (`sha256-<hex>`), as clients do for registries without the referrers API. Returns the
 * referrer's descriptor (for a referrers-API stand-in to list).
 */
export async function pushBundleReferrer(target: RawTarget, repo: string, subject: Subject, bundle: unknown, options: { manifestSubject?: Subject } = {}) {
  const bytes = Buffer.from(JSON.stringify(bundle));
  const emptyDigest = await rawPushBlob(target, repo, EMPTY);
  const layerDigest = await rawPushBlob(target, repo, bytes);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: BUNDLE_TYPE, config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: EMPTY.length }, layers: [{ mediaType: BUNDLE_TYPE, digest: layerDigest, size: bytes.length }], subject: options.manifestSubject ?? subject }));
  const digest = await rawPushManifest(target, repo, sha256(manifest), OCI_MANIFEST, manifest);
  const descriptor = { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_TYPE };
  const tag = subject.digest.replace(':', '-');
  const existing = await rawGetManifest(target, repo, tag);
  const manifests = existing ? (JSON.parse(existing.bytes.toString()).manifests as unknown[]) : [];
  await rawPushManifest(target, repo, tag, OCI_INDEX, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...manifests, descriptor] })));
  return descriptor;
}

/** A PEM file body of the public half of `key`. */
export function publicPem(key: crypto.KeyObject): string {
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
}
