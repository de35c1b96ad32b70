/**
 * A throw-away TLS key and self-signed certificate for loopback HTTPS contract fakes, made with
 * openssl at start. The certificate names `127.0.0.1` and `localhost` (subjectAltName), so a
 * client that trusts it explicitly (`tlsOptions.ca` for the Azure SDK pipeline, an undici
 * `Agent({ connect: { ca } })`) verifies the host name as it would in production: nothing
 * turns verification off.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SelfSignedCert {
  key: string;
  /** PEM; hand it to clients as their only trusted CA. */
  cert: string;
}

/** Creates a fresh key pair and certificate valid for a day. */
export function makeSelfSignedCert(commonName = 'basegate-contract-fake'): SelfSignedCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-tls-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(keyPath, 'utf8'), cert: fs.readFileSync(certPath, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
