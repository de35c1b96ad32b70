/**
 * A throwaway Sigstore trust root for tests, made with Node crypto and Debian's openssl:
 * - a Fulcio-like CA issuing short-lived code-signing certificates with a URI SAN and the OIDC
 *   issuer extension 1.3.6.1.4.1.57264.1.8 (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md);
 * - a transparency log (an ECDSA P-256 key; log id = SHA-256 of its SPKI) that signs entry
 *   timestamps (the SET: canonical JSON of body, integratedTime, logIndex, logID) and checkpoints
 *   of a one-leaf RFC 6962 tree (https://github.com/transparency-dev/formats/blob/main/log/README.md);
 * - an RFC 3161 timestamp authority run by `openssl ts`;
 * - and the `trusted_root.json` naming them (sigstore protobuf-specs TrustedRoot; no CT log: the
 *   policies under test set `ctlog: 0`).
 * Another CA, not in the root, stands for an untrusted issuer.
 */
import * as crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LOG_URL = 'https://rekor.basegate.test';
const LOG_NAME = 'rekor.basegate.test';

/** A CA that issues leaf certificates. */
export interface TestCa {
  dir: string;
  certPem: string;
  keyFile: string;
  certFile: string;
}

/** What a keyless signer holds: its ephemeral key and the certificate the CA gave it. */
export interface Keyless {
  key: crypto.KeyObject;
  certPem: string;
  certDer: Buffer;
}

export interface TestTrustRoot {
  dir: string;
  /** The trusted_root.json. */
  file: string;
  fulcio: TestCa;
  untrustedCa: TestCa;
  tsa: { certFile: string; keyFile: string; config: string };
  log: { key: crypto.KeyObject; spki: Buffer; logId: Buffer };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function der(pem: string): Buffer {
  return new crypto.X509Certificate(pem).raw;
}

function makeCa(dir: string, name: string): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/O=basegate-test/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { dir, certPem: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'), keyFile: path.join(dir, 'ca.key'), certFile: path.join(dir, 'ca.pem') };
}

let serial = 1000;

/** Issues a leaf for `key` under `ca` with the given extensions (openssl x509 -req). */
function issue(ca: TestCa, key: crypto.KeyObject, subject: string, extensions: string[]): string {
  const n = serial++;
  const keyFile = path.join(ca.dir, `leaf-${n}.key`);
  fs.writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(path.join(ca.dir, `leaf-${n}.ext`), `${extensions.join('\n')}\n`);
  openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', `leaf-${n}.csr`], ca.dir);
  openssl(['x509', '-req', '-in', `leaf-${n}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(n), '-days', '1', '-extfile', `leaf-${n}.ext`, '-out', `leaf-${n}.pem`], ca.dir);
  return fs.readFileSync(path.join(ca.dir, `leaf-${n}.pem`), 'utf8');
}

/** Options of a keyless signer's certificate. */
export interface CertificateOptions {
  identity: string;
  issuer: string;
  /** Leave out the code-signing extended key usage. */
  noCodeSigning?: boolean;
  /** Issue it from the CA that is not in the trust root. */
  untrusted?: boolean;
}

/** A Fulcio-like short-lived certificate for a fresh ECDSA P-256 key. */
export function keylessSigner(root: TestTrustRoot, options: CertificateOptions): Keyless {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = issue(options.untrusted ? root.untrustedCa : root.fulcio, privateKey, '/O=sigstore.dev', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    ...(options.noCodeSigning ? [] : ['extendedKeyUsage=codeSigning']),
    `subjectAltName=critical,URI:${options.identity}`,
    `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${options.issuer}`,
    'authorityKeyIdentifier=keyid',
  ]);
  return { key: privateKey, certPem: pem, certDer: der(pem) };
}

/** Creates the CA, log, TSA and trusted_root.json in `dir`. */
export function makeTrustRoot(dir: string): TestTrustRoot {
  const fulcio = makeCa(path.join(dir, 'fulcio'), 'fulcio-test');
  const untrustedCa = makeCa(path.join(dir, 'untrusted'), 'fulcio-impostor');
  const tsaCa = makeCa(path.join(dir, 'tsa'), 'tsa-root');
  const { privateKey: tsaKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tsaPem = issue(tsaCa, tsaKey, '/O=basegate-test/CN=tsa', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,timeStamping', 'authorityKeyIdentifier=keyid']);
  const tsa = { certFile: path.join(tsaCa.dir, 'tsa.pem'), keyFile: path.join(tsaCa.dir, 'tsa.key'), config: path.join(tsaCa.dir, 'tsa.cnf') };
  fs.writeFileSync(tsa.certFile, tsaPem);
  fs.writeFileSync(tsa.keyFile, tsaKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(path.join(tsaCa.dir, 'serial'), '01\n');
  fs.writeFileSync(
    tsa.config,
    ['[ tsa ]', 'default_tsa = tsa1', '[ tsa1 ]', `serial = ${path.join(tsaCa.dir, 'serial')}`, 'crypto_device = builtin', 'signer_digest = sha256', 'default_policy = 1.3.6.1.4.1.57264.2', 'digests = sha256', 'accuracy = secs:1', 'ordering = no', 'tsa_name = no', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', ''].join('\n'),
  );
  const { privateKey: logKey, publicKey: logPublic } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = logPublic.export({ type: 'spki', format: 'der' });
  const logId = crypto.createHash('sha256').update(spki).digest();
  const start = '2020-01-01T00:00:00Z';
  const trusted = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: LOG_URL, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId: logId.toString('base64') } }],
    certificateAuthorities: [{ subject: { organization: 'basegate-test', commonName: 'fulcio-test' }, uri: 'https://fulcio.basegate.test', certChain: { certificates: [{ rawBytes: der(fulcio.certPem).toString('base64') }] }, validFor: { start } }],
    ctlogs: [],
    timestampAuthorities: [{ subject: { organization: 'basegate-test', commonName: 'tsa' }, uri: 'https://tsa.basegate.test', certChain: { certificates: [{ rawBytes: der(tsaPem).toString('base64') }, { rawBytes: der(tsaCa.certPem).toString('base64') }] }, validFor: { start } }],
  };
  const file = path.join(dir, 'trusted_root.json');
  fs.writeFileSync(file, JSON.stringify(trusted, null, 2));
  return { dir, file, fulcio, untrustedCa, tsa, log: { key: logKey, spki, logId } };
}

/** Canonical JSON (RFC 8785 for the plain values used here: sorted keys, no spaces). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A log entry for `body` at index 0 of a one-leaf tree: its SET and a signed checkpoint. */
export interface LogEntry {
  body: Buffer;
  integratedTime: number;
  logIndex: number;
  logIdHex: string;
  set: Buffer;
  rootHash: Buffer;
  checkpoint: string;
}

/** Enters `body` (a canonical Rekor entry) in the test log. */
export function logEntry(root: TestTrustRoot, body: Buffer): LogEntry {
  const integratedTime = Math.ceil(Date.now() / 1000);
  const logIndex = 0;
  const logIdHex = root.log.logId.toString('hex');
  const payload = canonical({ body: body.toString('base64'), integratedTime, logIndex, logID: logIdHex });
  const set = crypto.sign('sha256', Buffer.from(payload), root.log.key);
  const rootHash = crypto.createHash('sha256').update(Buffer.concat([Buffer.from([0]), body])).digest();
  const note = `${LOG_NAME}\n1\n${rootHash.toString('base64')}\n`;
  const noteSig = Buffer.concat([root.log.logId.subarray(0, 4), crypto.sign('sha256', Buffer.from(note), root.log.key)]);
  return { body, integratedTime, logIndex, logIdHex, set, rootHash, checkpoint: `${note}\n\u2014 ${LOG_NAME} ${noteSig.toString('base64')}\n` };
}

/** An RFC 3161 TimeStampResp over `data` from the test TSA (openssl ts). */
export function rfc3161(root: TestTrustRoot, data: Buffer): Buffer {
  const work = fs.mkdtempSync(path.join(root.dir, 'ts-'));
  fs.writeFileSync(path.join(work, 'data'), data);
  openssl(['ts', '-query', '-data', 'data', '-sha256', '-cert', '-no_nonce', '-out', 'req.tsq'], work);
  openssl(['ts', '-reply', '-config', root.tsa.config, '-queryfile', 'req.tsq', '-signer', root.tsa.certFile, '-inkey', root.tsa.keyFile, '-out', 'resp.tsr'], work);
  return fs.readFileSync(path.join(work, 'resp.tsr'));
}
