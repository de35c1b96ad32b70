/**
 * The `signature:` / `referrers:` config (issue #17): the deprecated existence forms load as
 * `referrers` with one deprecation warning per process, `signature: {}` and contradictions are
 * config errors, key and root files are read when the gate is built (a ConfigError naming them).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../../functions/config/load-config';
import { ConfigError } from '../../../functions/errors';
import { createGates } from '../../../functions/gates/create-gates';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigcfg-'));
const FILE = path.join(dir, 'basegate.yaml');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(gates: string) {
  return parseConfig(`target: { registry: "127.0.0.1:5001" }\nimages:\n  - source: node\n    tags: ["20"]\n    gates: ${gates}\n`, { file: FILE, env: {} });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('signature config', () => {
  it('loads signature: true and signature: { artifactType } as referrers, warning once per process', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(load('{ signature: true }').images[0].gates).toEqual({ referrers: {} });
      expect(load('{ signature: { artifactType: application/spdx+json } }').images[0].gates).toEqual({ referrers: { artifactType: 'application/spdx+json' } });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain('now loads as referrers:');
      expect(warn.mock.calls[0][1]).toEqual({ type: 'DeprecationWarning', code: 'BASEGATE_DEPRECATED_SIGNATURE' });
    } finally {
      warn.mockRestore();
    }
  });

  it('builds the referrers gate for the old forms, and the explicit referrers: wins over them', () => {
    expect(createGates(load('{ signature: true }').images[0]).map((g) => g.name)).toEqual(['referrers', 'closure']);
    expect(load('{ signature: true, referrers: { artifactType: a/b } }').images[0].gates).toEqual({ referrers: { artifactType: 'a/b' } });
  });

  it.each([
    ['{ signature: {} }', /expected key, keys or keyless: signature verifies a signature over the digest/],
    ['{ signature: { tlog: 1 } }', /expected key, keys or keyless/],
    ['{ signature: { key: a.pub, keys: [b.pub] } }', /expected one of key or keys/],
    ['{ signature: { artifactType: a/b, key: a.pub } }', /expected artifactType alone/],
    ['{ signature: { keyless: { issuer: "https://i" } } }', /expected exactly one of identity or identityRegexp/],
    ['{ signature: { keyless: { issuer: "https://i", identity: x, identityRegexp: y } } }', /expected exactly one of identity or identityRegexp/],
    ['{ signature: { keyless: { issuer: "https://i", identity: x }, tlog: 0 } }', /expected tlog or tsa of at least 1 with keyless/],
    ['{ signature: { key: a.pub, tlog: -1 } }', /signature\.tlog/],
    ['{ signature: { kee: a.pub } }', /unknown key "kee", did you mean "key"\?/],
  ])('refuses %s', (gates, message) => {
    const err = errorOf(() => load(gates));
    expect(`${err.path}: ${err.message}`).toMatch(message);
  });

  it('resolves key and root paths against the config file and reads them when the gate is built', () => {
    const pub = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'keys', 'cosign.pub'), pub);
    const image = load('{ signature: { key: ./keys/cosign.pub } }').images[0];
    expect(image.gates.signature).toEqual({ keys: [path.join(dir, 'keys', 'cosign.pub')] });
    expect(createGates(image).map((g) => g.name)).toEqual(['signature', 'closure']);
  });

  it.each([
    ['a missing key file', '{ signature: { key: ./keys/missing.pub } }', /cannot read the public key .*missing\.pub \(ENOENT\)/, 'CONFIG_SIGNATURE_KEY'],
    ['a file that is not a key', '{ signature: { key: ./basegate.yaml } }', /is not a PEM public key/, 'CONFIG_SIGNATURE_KEY'],
    ['a private key', '{ signature: { key: ./keys/private.pem } }', /a private key: give the public key/, 'CONFIG_SIGNATURE_KEY'],
    ['a trusted root that is not one', '{ signature: { keyless: { issuer: "https://i", identity: x, trustedRoot: ./basegate.yaml } } }', /trusted root .* is not JSON/, 'CONFIG_TRUST_ROOT'],
  ])('refuses %s when the gate is built', (_what, gates, message, code) => {
    fs.writeFileSync(FILE, 'not: a key\n');
    fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'keys', 'private.pem'), crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const err = errorOf(() => createGates(load(gates).images[0]));
    expect(err.message).toMatch(message);
    expect(err.code).toBe(code);
  });
});
