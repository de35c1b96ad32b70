/** A private copy of the checked-in OCI layout fixture (test/fixtures/oci-layout) per test. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageRef } from '../../functions/oci/reference';
import { FIXTURE_REPOSITORY, fixtureContents, type FixtureContents } from '../fixtures/make-oci-layout';

export const FIXTURE_ROOT = path.join(__dirname, '..', 'fixtures', 'oci-layout');

export interface LayoutFixture {
  /** The temporary root directory (the layout "registry"). */
  root: string;
  /** `oci:<root>//upstream/demo` at a tag or digest. */
  ref(at?: { tag?: string; digest?: string }): ImageRef;
  /** A layout reference to another repository under a root (default: an empty temp root of this fixture). */
  other(repository: string, root?: string): ImageRef;
  /** An empty sibling root for targets. */
  emptyRoot(): string;
  contents: FixtureContents;
  cleanup(): void;
}

/** Copies the fixture to a fresh temp directory. */
export function copyLayoutFixture(): LayoutFixture {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-layout-'));
  const root = path.join(base, 'source');
  fs.cpSync(FIXTURE_ROOT, root, { recursive: true });
  let roots = 0;
  return {
    root,
    ref: (at = {}) => ImageRef.of({ scheme: 'layout', registry: root, repository: FIXTURE_REPOSITORY, ...at }),
    other: (repository, r) => ImageRef.of({ scheme: 'layout', registry: r ?? path.join(base, 'target'), repository }),
    emptyRoot: () => {
      const dir = path.join(base, `root-${roots++}`);
      fs.mkdirSync(dir);
      return dir;
    },
    contents: fixtureContents(),
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/** Every file under a directory, relative paths sorted (to show what a failed write left behind). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
