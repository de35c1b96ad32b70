/**
 * Issue #17 item 1 through `basegate sync` on the real local registries: the `signature` gate
 * verifies, for both formats cosign writes (its simple-signing `sha256-<hex>.sig` signatures and
 * Sigstore bundles as referrers, listed through the referrers tag schema because Debian's
 * docker-registry 2.8 has no referrers API), signed with test keys and a throwaway trust root
 * (sigstore-trust-root.ts): a Fulcio-like CA, a transparency log, an `openssl ts` authority.
 * Every case ends promoted, or rejected with the verdict's reason and nothing in the target.
 * The referrers-API path is covered by a stand-in: the fault proxy answering
 * `GET /v2/<name>/referrers/<digest>` as the distribution spec says (an OCI index).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { cliWorkspace, targetRegistry, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { legacySignature, publicPem, pushBundleReferrer, pushCosignSignatures, sigstoreBundle, type SignOptions, type Signer } from '../helpers/cosign-signing';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetManifest, rawTags } from '../helpers/raw-registry';
import { keylessSigner, makeTrustRoot, type TestTrustRoot } from '../helpers/sigstore-trust-root';
import { uniqueRepo } from '../servers/test-env';

const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main';

let root: TestTrustRoot;
/** Another log and TSA, not in `root`. */
let stranger: TestTrustRoot;
let keysDir: string;
let proxy: FaultProxy;
const keys = { cosign: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, other: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, ed25519: crypto.generateKeyPairSync('ed25519').privateKey };
let ws: CliWorkspace;

beforeAll(async () => {
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-sigkeys-'));
  root = makeTrustRoot(path.join(keysDir, 'root'));
  stranger = makeTrustRoot(path.join(keysDir, 'stranger'));
  for (const [name, key] of Object.entries(keys)) fs.writeFileSync(path.join(keysDir, `${name}.pub`), publicPem(key));
  proxy = await startFaultProxy({ upstream: `http://${upstreamRegistry().host}` });
});
afterAll(async () => {
  await proxy?.stop();
  fs.rmSync(keysDir, { recursive: true, force: true });
});
beforeEach(() => {
  ws = cliWorkspace('basegate-signature-');
  proxy.setRules([]);
});
afterEach(() => ws.cleanup());

type Format = 'cosign' | 'bundle';
const key = (name: keyof typeof keys = 'cosign'): Signer => ({ key: keys[name] });
const keyPolicy = (extra = '') => `signature: { key: ${path.join(keysDir, 'cosign.pub')}${extra} }`;
const keylessPolicy = (extra = '', identity = `identity: "${IDENTITY}"`) => `signature: { keyless: { issuer: "${ISSUER}", ${identity}, trustedRoot: ${root.file} }, ctlog: 0${extra} }`;

interface Case {
  name: string;
  policy: () => string;
  /** Signs the image (its digest) in `format`; `other` is a second image's digest. */
  sign: (format: Format, digest: string, other: string) => Promise<SignedWith> | SignedWith;
  promoted?: { by: RegExp };
  rejected?: RegExp;
}
type SignedWith = { digest: string; options: SignOptions & { payloadDigest?: string; statementDigest?: string; tamper?: boolean; predicateType?: string } };

const keyless = (opts: Partial<Parameters<typeof keylessSigner>[1]> = {}): Signer => ({ keyless: keylessSigner(root, { identity: IDENTITY, issuer: ISSUER, ...opts }) });
const withLog = (signer: Signer): SignOptions => ({ signer, root, tlog: true });

const cases: Case[] = [
  { name: 'valid key signature', policy: () => keyPolicy(), sign: (_f, d) => ({ digest: d, options: { signer: key() } }), promoted: { by: /^key .*cosign\.pub$/ } },
  { name: 'key signature with the log entry the policy asks for (tlog: 1)', policy: () => keyPolicy(`, tlog: 1, trustedRoot: ${root.file}`), sign: (_f, d) => ({ digest: d, options: withLog(key()) }), promoted: { by: /^key / } },
  { name: 'signature by another key', policy: () => keyPolicy(), sign: (_f, d) => ({ digest: d, options: { signer: key('other') } }), rejected: /signature verification failed/ },
  { name: 'valid signature whose payload names another digest', policy: () => keyPolicy(), sign: (f, d, other) => ({ digest: d, options: { signer: key(), ...(f === 'cosign' ? { payloadDigest: other } : { statementDigest: other }) } }), rejected: /(the payload names sha256:[0-9a-f]+, not this digest|the statement's subject does not name this digest)/ },
  { name: 'tampered layer (payload changed after signing)', policy: () => keyPolicy(), sign: (_f, d) => ({ digest: d, options: { signer: key(), tamper: true } }), rejected: /signature verification failed/ },
  { name: 'key signature without the log entry the policy requires', policy: () => keyPolicy(`, tlog: 1, trustedRoot: ${root.file}`), sign: (_f, d) => ({ digest: d, options: { signer: key() } }), rejected: /expected 1 tlog entries, got 0/ },
  { name: 'keyless with the right identity and issuer', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: withLog(keyless()) }), promoted: { by: new RegExp(`^identity ${IDENTITY.replace(/[.]/g, '\\.')} issued by ${ISSUER.replace(/[.]/g, '\\.')}$`) } },
  { name: 'keyless with an RFC 3161 timestamp instead of a log entry (tlog: 0, tsa: 1)', policy: () => keylessPolicy(', tlog: 0, tsa: 1'), sign: (_f, d) => ({ digest: d, options: { signer: keyless(), root, tsa: true } }), promoted: { by: /^identity / } },
  { name: 'keyless matched by identityRegexp', policy: () => keylessPolicy('', 'identityRegexp: "^https://github\\\\.com/org/repo/"'), sign: (_f, d) => ({ digest: d, options: withLog(keyless()) }), promoted: { by: /^identity / } },
  { name: 'keyless with a wrong identity', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: withLog(keyless({ identity: 'https://github.com/evil/repo/.github/workflows/release.yml@refs/heads/main' })) }), rejected: /certificate identity "https:\/\/github\.com\/evil\/repo\/.*" is not "https:\/\/github\.com\/org\/repo\// },
  { name: 'keyless with a wrong issuer', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: withLog(keyless({ issuer: 'https://accounts.example.com' })) }), rejected: /certificate issuer "https:\/\/accounts\.example\.com" is not "https:\/\/token\.actions\.githubusercontent\.com"/ },
  { name: 'keyless from an untrusted CA', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: withLog(keyless({ untrusted: true })) }), rejected: /CERTIFICATE_ERROR: Failed to verify certificate chain/ },
  { name: 'keyless without code-signing key usage', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: withLog(keyless({ noCodeSigning: true })) }), rejected: /certificate is not for code signing/ },
  { name: 'keyless without the log entry (missing log evidence)', policy: () => keylessPolicy(', tsa: 1'), sign: (_f, d) => ({ digest: d, options: { signer: keyless(), root, tsa: true } }), rejected: /expected 1 tlog entries, got 0/ },
  { name: 'keyless with a log entry from a log the root does not trust', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: { signer: keyless(), root: stranger, tlog: true } }), rejected: /TLOG_INCLUSION_PROMISE_ERROR: inclusion promise could not be verified/ },
  { name: 'keyless with a timestamp from an authority the root does not trust', policy: () => keylessPolicy(', tlog: 0, tsa: 1'), sign: (_f, d) => ({ digest: d, options: { signer: keyless(), root: stranger, tsa: true } }), rejected: /TIMESTAMP_ERROR: timestamp could not be verified/ },
  { name: 'keyless without the timestamp the policy requires (tsa: 1)', policy: () => keylessPolicy(', tsa: 1'), sign: (_f, d) => ({ digest: d, options: withLog(keyless()) }), rejected: /expected 1 RFC 3161 timestamp, found 0/ },
  { name: 'keyless without any time evidence', policy: () => keylessPolicy(), sign: (_f, d) => ({ digest: d, options: { signer: keyless() } }), rejected: /TIMESTAMP_ERROR: expected 1 timestamps, got 0/ },
  { name: 'keyless without the SCT a CT log would add (default ctlog: 1)', policy: () => `signature: { keyless: { issuer: "${ISSUER}", identity: "${IDENTITY}", trustedRoot: ${root.file} } }`, sign: (_f, d) => ({ digest: d, options: withLog(keyless()) }), rejected: /expected 1 SCTs, got 0/ },
  { name: 'a keyless signature under a key-only policy', policy: () => keyPolicy(), sign: (_f, d) => ({ digest: d, options: withLog(keyless()) }), rejected: /signed keylessly \(a certificate\), but the policy names only keys/ },
];

async function scenario(format: Format, c: Case) {
  const repo = uniqueRepo('signed');
  const image = synthImage({ seed: `sig-${format}-${c.name}` });
  const other = synthImage({ seed: `sig-other-${format}-${c.name}` });
  await pushImage(upstreamRegistry(), repo, ['v1'], image);
  const signed = await c.sign(format, image.digest, other.digest);
  await attach(format, repo, image, signed);
  const targetRepo = uniqueRepo('base');
  const config = ws.writeConfig([`  - source: ${proxy.host}/${repo}`, '    tags: [v1]', `    repository: ${targetRepo}`, '    gates:', `      ${c.policy()}`].join('\n'));
  return { repo, targetRepo, image, config };
}

async function attach(format: Format, repo: string, image: SynthImage, signed: SignedWith): Promise<void> {
  if (format === 'cosign') {
    await pushCosignSignatures(upstreamRegistry(), repo, image.digest, [legacySignature(signed.digest, signed.options)]);
  } else {
    await pushBundleReferrer(upstreamRegistry(), repo, { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length }, sigstoreBundle(signed.digest, signed.options));
  }
}

async function sync(config: string) {
  const result = await runCli('sync', '--config', config, '--json');
  const status = JSON.parse((await runCli('status', '--config', config, '--json')).stdout).tags[0];
  return { code: result.code, tag: JSON.parse(result.stdout).tags[0], status };
}

describe.each<Format>(['cosign', 'bundle'])('signature gate, %s format, through basegate sync', (format) => {
  it.each(cases)('$name', async (c) => {
    const s = await scenario(format, c);
    const { code, tag, status } = await sync(s.config);
    expect(code).toBe(0);
    const gate = status.verdict.gates.find((g: { gate: string }) => g.gate === 'signature');
    if (c.promoted) {
      expect({ status: tag.status, reason: tag.reason }).toEqual({ status: 'promoted', reason: undefined });
      expect(gate.detail.verifiedBy).toMatch(c.promoted.by);
      expect((await rawGetManifest(targetRegistry(), s.targetRepo, 'v1'))?.digest).toBe(s.image.digest);
    } else {
      expect(tag.status).toBe('rejected');
      expect(tag.reason).toMatch(/^signature: no signature over sha256:[0-9a-f]{64} verifies; /);
      expect(tag.reason).toMatch(c.rejected!);
      expect(status.reason).toBe(tag.reason);
      expect(await rawTags(targetRegistry(), s.targetRepo)).toEqual([]);
    }
  });
});

describe('signature gate: what never counts', () => {
  it('an unsigned image is rejected, naming where it looked', async () => {
    const repo = uniqueRepo('unsigned');
    const image = synthImage({ seed: 'sig-unsigned' });
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    const config = ws.writeConfig([`  - source: ${proxy.host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, `    gates: { ${keyPolicy()} }`].join('\n'));
    const { tag } = await sync(config);
    expect(tag).toMatchObject({ status: 'rejected', reason: `signature: no signature refers to ${image.digest} (looked for cosign sha256-<hex>.sig signatures and Sigstore bundle referrers)` });
  });

  it('an SBOM attestation in a bundle of the same artifact type, validly signed, is not a signature', async () => {
    const c: Case = { name: 'sbom', policy: () => keyPolicy(), sign: (_f, d) => ({ digest: d, options: { signer: key(), predicateType: 'https://spdx.dev/Document' } }) };
    const s = await scenario('bundle', c);
    const { tag } = await sync(s.config);
    expect(tag.status).toBe('rejected');
    expect(tag.reason).toContain('an attestation (https://spdx.dev/Document), not a signature');
  });

  it('a bundle referrer whose manifest subject is another digest does not count', async () => {
    const repo = uniqueRepo('signed');
    const image = synthImage({ seed: 'sig-subject' });
    const other = synthImage({ seed: 'sig-subject-other' });
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    await pushImage(upstreamRegistry(), repo, ['v2'], other);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    await pushBundleReferrer(upstreamRegistry(), repo, subject, sigstoreBundle(image.digest, { signer: key() }), { manifestSubject: { digest: other.digest, mediaType: other.mediaType, size: other.bytes.length } });
    const config = ws.writeConfig([`  - source: ${proxy.host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, `    gates: { ${keyPolicy()} }`].join('\n'));
    const { tag } = await sync(config);
    expect(tag.status).toBe('rejected');
    expect(tag.reason).toContain(`the referrer's subject is ${other.digest}, not this digest`);
  });

  it('one signature by an Ed25519 key among keys: verifies and names that key', async () => {
    const c: Case = { name: 'ed25519', policy: () => `signature: { keys: [${path.join(keysDir, 'other.pub')}, ${path.join(keysDir, 'ed25519.pub')}] }`, sign: (_f, d) => ({ digest: d, options: { signer: key('ed25519') } }) };
    const s = await scenario('cosign', c);
    const { tag, status } = await sync(s.config);
    expect(tag.status).toBe('promoted');
    expect(status.verdict.gates[0].detail.verifiedBy).toBe(`key ${path.join(keysDir, 'ed25519.pub')}`);
  });
});

describe('signature gate over the referrers API (a stand-in: the registry under test has none)', () => {
  it('finds a bundle the registry lists only through GET /v2/<name>/referrers/<digest>', async () => {
    const repo = uniqueRepo('signed');
    const image = synthImage({ seed: 'sig-api' });
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    const descriptor = await pushBundleReferrer(upstreamRegistry(), repo, subject, sigstoreBundle(image.digest, { signer: key() }));
    // Only the API knows it: the tag-schema index is dropped, as on a registry with the API (distribution-spec "Listing Referrers").
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [descriptor] };
    proxy.setRules([
      { name: 'referrers API', method: 'GET', path: new RegExp(`^/v2/${repo}/referrers/${image.digest}$`), respond: { status: 200, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: JSON.stringify(index) } },
      { name: 'no tag schema', method: 'GET', path: new RegExp(`^/v2/${repo}/manifests/sha256-`), respond: { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }) } },
    ]);
    const config = ws.writeConfig([`  - source: ${proxy.host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, `    gates: { ${keyPolicy()} }`].join('\n'));
    const { tag, status } = await sync(config);
    expect(tag.status).toBe('promoted');
    expect(status.verdict.gates[0].detail.signature).toBe(`sigstore bundle ${descriptor.digest.slice(0, 19)}`);
    expect(proxy.log.some((e) => e.rule === 'referrers API')).toBe(true);
  });
});
