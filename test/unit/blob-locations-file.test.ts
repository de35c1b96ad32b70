/** The blob-location memo kept between CLI runs: a round trip, and a cache that never blocks a run. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBlobLocations, saveBlobLocations } from '../../functions/oci/blob-locations-file';
import { BlobLocations } from '../../functions/oci/blob-locations';
import { parseReference } from '../../functions/oci/reference';

const digest = `sha256:${'ab'.repeat(32)}`;
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-blobs-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('keeps where blobs are across runs, per registry', () => {
  const first = new BlobLocations();
  first.record(parseReference('127.0.0.1:5000/base/node'), digest);
  const file = path.join(dir, '.basegate', 'blob-locations.json');
  saveBlobLocations(file, first);
  const later = loadBlobLocations(file);
  expect(later.elsewhere(parseReference('127.0.0.1:5000/base/python'), digest).map((r) => r.repository)).toEqual(['base/node']);
  expect(later.elsewhere(parseReference('127.0.0.1:5001/base/python'), digest)).toEqual([]);
  expect(fs.readdirSync(path.dirname(file))).toEqual(['blob-locations.json']);
});

it('starts empty on a missing, cut-short or wrongly shaped file', () => {
  const file = path.join(dir, 'blob-locations.json');
  expect(loadBlobLocations(file).snapshot()).toEqual({});
  fs.writeFileSync(file, '{"docker:127.0.0.1:5000": {"sha256:');
  expect(loadBlobLocations(file).snapshot()).toEqual({});
  fs.writeFileSync(file, JSON.stringify({ 'docker:127.0.0.1:5000': { [digest]: 'base/node' } }));
  expect(loadBlobLocations(file).snapshot()).toEqual({});
});

it('keeps only the newest digests of a registry', () => {
  const locations = new BlobLocations();
  const ref = parseReference('127.0.0.1:5000/base/node');
  for (let i = 0; i < 5; i++) locations.record(ref, `sha256:${String(i).repeat(64)}`);
  const kept = Object.values(locations.snapshot(2))[0];
  expect(Object.keys(kept)).toEqual([`sha256:${'3'.repeat(64)}`, `sha256:${'4'.repeat(64)}`]);
});
