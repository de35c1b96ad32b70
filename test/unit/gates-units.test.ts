/** Sizes, durations and platform names as the gates write and compare them. */
import { formatBytes, formatDuration } from '../../functions/gates/human-units';
import { normalisePlatform, platformMatches, platformName } from '../../functions/gates/platform-name';

describe('formatBytes', () => {
  it.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1KB'],
    [1536, '1.5KB'],
    [500_000_000, '500MB'],
    [612_345_678, '612.3MB'],
    [524_288_000, '524.3MB'],
    [2_000_000_000, '2GB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [400, '400ms'],
    [45_000, '45s'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [83_000_000, '23h 3m'],
    [86_400_000, '1d'],
    [90 * 86_400_000 + 3_600_000 * 5 + 60_000, '90d 5h'],
    [-7_200_000, '-2h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('platform names', () => {
  it.each([
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/arm', 'linux/arm/v6', false],
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64', 'linux/amd64/v3', false],
    ['linux/amd64', 'windows/amd64', false],
    ['linux/s390x', 'linux/s390x', true],
  ])('required %s, image %s: %s', (required, actual, matches) => {
    expect(platformMatches(required, actual)).toBe(matches);
  });

  it('names a platform object and normalises variants', () => {
    expect(platformName({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(platformName({ os: 'linux', architecture: 'amd64', variant: '' })).toBe('linux/amd64');
    expect(normalisePlatform('Linux/ARM64')).toBe('linux/arm64/v8');
  });
});
