/** The vulnerabilities gate's pure parts: report formats and severities, the policy over findings and baselines. */
import { ContentRejectedError } from '../../functions/errors';
import { ignoreExpiry, judgeFindings } from '../../functions/gates/vulnerabilities/judge-findings';
import { detectFormat, parseReport, sarifSeverity, type Finding } from '../../functions/gates/vulnerabilities/parse-report';

describe('report formats', () => {
  it.each([
    ['9.0', 'critical'], ['10', 'critical'], ['8.9', 'high'], ['7.0', 'high'], ['6.9', 'medium'], ['4.0', 'medium'], ['3.9', 'low'], ['0.1', 'low'], ['0.0', 'negligible'], [undefined, 'unknown'], ['n/a', 'unknown'], ['11', 'unknown'],
  ])('SARIF security-severity %s is %s (GitHub code scanning bands)', (score, severity) => {
    expect(sarifSeverity(score)).toBe(severity);
  });

  it('maps Trivy and Grype severity names, Negligible and Unknown below Low', () => {
    const trivy = parseReport({ SchemaVersion: 2, Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 'A', PkgName: 'p', Severity: 'CRITICAL' }, { VulnerabilityID: 'B', PkgName: 'p', Severity: 'UNKNOWN' }] }, { Target: 'u', Vulnerabilities: null }] });
    expect(trivy).toEqual({ format: 'trivy', findings: [{ id: 'A', package: 'p', severity: 'critical' }, { id: 'B', package: 'p', severity: 'unknown' }] });
    const grype = parseReport({ matches: [{ vulnerability: { id: 'C', severity: 'Negligible' }, artifact: { name: 'q' } }, { vulnerability: { id: 'D', severity: 'Weird' }, artifact: { name: 'q' } }] });
    expect(grype.findings.map((f) => f.severity)).toEqual(['negligible', 'unknown']);
  });

  it('recognises the format, or refuses with what was expected', () => {
    expect(detectFormat({ version: '2.1.0', runs: [] })).toBe('sarif');
    expect(detectFormat([])).toBeUndefined();
    expect(() => parseReport({ hello: 1 })).toThrow(ContentRejectedError);
    expect(() => parseReport({ hello: 1 })).toThrow(/neither Trivy JSON .* Grype JSON .* nor SARIF 2\.1\.0/);
    expect(() => parseReport({ SchemaVersion: 2, Results: [{ Vulnerabilities: [{ PkgName: 'p', Severity: 'HIGH' }] }] })).toThrow(/the trivy report does not match its format at Results\.0\.Vulnerabilities\.0\.VulnerabilityID/);
  });
});

describe('judgeFindings', () => {
  const f = (id: string, severity: Finding['severity'], pkg = 'p'): Finding => ({ id, package: pkg, severity });
  const now = new Date('2026-03-01T00:00:00Z');

  it('a finding is (id, package): the same id in another package is new; duplicates keep the worst severity', () => {
    const j = judgeFindings({ noNew: ['high'] }, [f('A', 'medium'), f('A', 'high'), f('A', 'high', 'other')], { digest: 'sha256:b', findings: [f('A', 'high')] }, now);
    expect(j.summary.added).toEqual([{ id: 'A', package: 'other', severity: 'high' }]);
    expect(j.summary.counts.high).toBe(2);
    expect(j.reasons).toEqual(['1 new high finding compared with the promoted sha256:b: A (high, other)']);
  });

  it('lists fixed findings and passes when nothing judged is there', () => {
    const j = judgeFindings({ maxSeverity: 'high', noNew: ['critical'] }, [f('B', 'low')], { digest: 'sha256:b', findings: [f('A', 'critical'), f('B', 'low')] }, now);
    expect(j.reasons).toEqual([]);
    expect(j.summary.fixed).toEqual([{ id: 'A', package: 'p', severity: 'critical' }]);
  });

  it('ignore: by id or id and package, through the day of a date, to the instant of a time', () => {
    expect(ignoreExpiry({ id: 'A', until: '2026-02-28' })).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(ignoreExpiry({ id: 'A', until: '2026-02-28T12:00:00Z' })).toBe(Date.parse('2026-02-28T12:00:00Z'));
    const j = judgeFindings({ maxSeverity: 'low', ignore: [{ id: 'A', package: 'q' }, { id: 'B', until: '2026-03-01' }, { id: 'C', until: '2026-02-28' }] }, [f('A', 'high'), f('A', 'high', 'q'), f('B', 'high'), f('C', 'high')], undefined, now);
    expect(j.summary.ignored).toBe(2);
    expect(j.reasons).toEqual(['2 findings above low: A (high, p), C (high, p, its ignore expired 2026-02-28)']);
    expect(j.expired).toEqual([{ id: 'C', until: '2026-02-28' }]);
  });

  it('bounds the summary: at most 50 ids listed, totals complete', () => {
    const many = Array.from({ length: 120 }, (_, i) => f(`CVE-${i}`, 'medium'));
    const j = judgeFindings({ noNew: ['medium'] }, many, undefined, now);
    expect(j.summary.added).toHaveLength(50);
    expect(j.summary.addedTotal).toBe(120);
    expect(j.reasons[0]).toMatch(/and 110 more$/);
  });
});
