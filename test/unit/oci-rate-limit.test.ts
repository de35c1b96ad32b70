/** Docker Hub's rate-limit headers (`100;w=21600`, the IETF RateLimit draft form) and what counts as a pull. */
import { isPullCounted, parseRateLimitHeader } from '../../functions/oci/registry/rate-budget';

describe('parseRateLimitHeader', () => {
  it.each([
    ['100;w=21600', { value: 100, windowSeconds: 21600 }],
    ['76;w=21600', { value: 76, windowSeconds: 21600 }],
    ['0;w=21600', { value: 0, windowSeconds: 21600 }],
    ['200', { value: 200 }],
    [' 100 ; w = 60 ', { value: 100, windowSeconds: 60 }],
    ['10, 10;w=1, 50;w=60', { value: 10 }], // the first policy is the one in force
    ['100;w=21600;comment="docker"', { value: 100, windowSeconds: 21600 }],
    ['abc', undefined],
    ['-1;w=60', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRateLimitHeader(value)).toEqual(expected);
  });
});

describe('isPullCounted', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each([
    ['GET', `/v2/library/node/manifests/20`, true],
    ['GET', `/v2/library/node/blobs/${digest}`, true],
    ['HEAD', `/v2/library/node/manifests/20`, false],
    ['HEAD', `/v2/library/node/blobs/${digest}`, false],
    ['GET', `/v2/library/node/tags/list`, false],
    ['GET', `/v2/`, false],
    ['POST', `/v2/library/node/blobs/uploads/`, false],
    ['GET', `/v2/library/node/blobs/uploads/abc`, false],
  ] as const)('%s %s → %s', (method, path, expected) => {
    expect(isPullCounted({ method, url: new URL(`https://registry-1.docker.io${path}`) })).toBe(expected);
  });
});
