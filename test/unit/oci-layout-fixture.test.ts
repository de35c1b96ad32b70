/** The checked-in OCI layout fixture is exactly what its generator writes (nobody edited it by hand). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeOciLayoutFixture } from '../fixtures/make-oci-layout';

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

it('test/fixtures/oci-layout equals a fresh run of make-oci-layout.ts, and stays a few KiB', () => {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-fixture-'));
  try {
    writeOciLayoutFixture(fresh);
    const expected = files(fresh);
    const actual = files(path.join(__dirname, '..', 'fixtures', 'oci-layout'));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, bytes] of expected) expect(actual.get(name)?.equals(bytes)).toBe(true);
    expect([...actual.values()].reduce((n, b) => n + b.length, 0)).toBeLessThan(16 * 1024);
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
});
