/** The `vulnerabilities:` config (issue #17): what loads, and the mistakes refused with what was expected. */
import { parseConfig } from '../../../functions/config/load-config';
import { ConfigError } from '../../../functions/errors';
import { createGates } from '../../../functions/gates/create-gates';

function load(gates: string) {
  return parseConfig(`target: { registry: "127.0.0.1:5001" }\nimages:\n  - source: node\n    tags: ["20"]\n    gates: ${gates}\n`, { file: '/etc/basegate/basegate.yaml', env: {} });
}

function messageOf(gates: string): string {
  try {
    load(gates);
  } catch (err) {
    if (err instanceof ConfigError) return `${err.path}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('vulnerabilities config', () => {
  it('loads a scanner policy, normalised as the command gate is, and builds the gate', () => {
    const image = load('{ vulnerabilities: { scanner: { run: [trivy, image, --format, json, $IMAGE], timeout: 5m, env: [TRIVY_TOKEN] }, maxSeverity: high, noNew: [critical, high], ignore: [{ id: CVE-2026-1, until: 2027-01-31, reason: accepted }] } }').images[0];
    expect(image.gates.vulnerabilities).toEqual({ scanner: { run: ['trivy', 'image', '--format', 'json', '$IMAGE'], timeout: 300_000, env: ['TRIVY_TOKEN'] }, maxSeverity: 'high', noNew: ['critical', 'high'], ignore: [{ id: 'CVE-2026-1', until: '2027-01-31', reason: 'accepted' }] });
    expect(createGates(image).map((g) => g.name)).toEqual(['vulnerabilities', 'closure']);
    expect(load('{ vulnerabilities: { attestation: true, noNew: [critical] } }').images[0].gates.vulnerabilities).toEqual({ attestation: {}, noNew: ['critical'] });
  });

  it.each([
    ['{ vulnerabilities: { noNew: [high] } }', /expected exactly one of scanner \(a command printing the report\) or attestation/],
    ['{ vulnerabilities: { attestation: true, scanner: { run: [x] }, noNew: [high] } }', /expected exactly one of scanner/],
    ['{ vulnerabilities: { attestation: true } }', /expected maxSeverity or noNew/],
    ['{ vulnerabilities: { attestation: true, maxSeverity: severe } }', /maxSeverity: expected one of "critical", "high", "medium", "low", "negligible", "unknown", found "severe"/],
    ['{ vulnerabilities: { attestation: true, noNew: [] } }', /noNew/],
    ['{ vulnerabilities: { attestation: true, noNew: [high], ignore: [{ id: CVE-1, until: next-week }] } }', /ignore\[0\]\.until: expected a date such as 2027-01-31/],
    ['{ vulnerabilities: { attestation: true, noNew: [high], ignore: [{ id: CVE-1, until: 2027-02-30x }] } }', /until: expected a date/],
    ['{ vulnerabilities: { scanner: { run: [x], formt: trivy }, noNew: [high] } }', /unknown key "formt", did you mean "format"\?/],
  ])('refuses %s', (gates, message) => {
    expect(messageOf(gates)).toMatch(message);
  });

  it('refuses a scanner using $PLATFORM without perPlatform when the gate is built', () => {
    expect(() => createGates(load('{ vulnerabilities: { scanner: { run: [scan, $PLATFORM] }, noNew: [high] } }').images[0])).toThrow(/\$PLATFORM is set only with perPlatform: true/);
  });
});
