/** WWW-Authenticate parsing (RFC 9110 §11.6.1) as registries send it. */
import { parseChallenges, pickChallenge } from '../../functions/oci/registry/challenge';

describe('parseChallenges', () => {
  it.each([
    ['Basic realm="basegate-test"', [{ scheme: 'basic', params: { realm: 'basegate-test' } }]],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/node:pull' } }],
    ],
    ['bearer Realm="http://127.0.0.1:1/token", Service="s"', [{ scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 's' } }]],
    ['Bearer realm=unquoted,service=svc', [{ scheme: 'bearer', params: { realm: 'unquoted', service: 'svc' } }]],
    ['Bearer realm="a\\"b",scope="repository:a:pull repository:b:pull"', [{ scheme: 'bearer', params: { realm: 'a"b', scope: 'repository:a:pull repository:b:pull' } }]],
    ['Bearer realm="x,y", service="z"', [{ scheme: 'bearer', params: { realm: 'x,y', service: 'z' } }]],
    [
      'Basic realm="r1", Bearer realm="https://t/token",service="s"',
      [
        { scheme: 'basic', params: { realm: 'r1' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    [['Basic realm="a"', 'Bearer realm="b"'], [{ scheme: 'basic', params: { realm: 'a' } }, { scheme: 'bearer', params: { realm: 'b' } }]],
    ['Negotiate', [{ scheme: 'negotiate', params: {} }]],
    ['', []],
    [undefined, []],
  ])('%j', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});

describe('pickChallenge', () => {
  it.each([
    ['Basic realm="a", Bearer realm="https://t/token"', 'bearer'],
    ['Bearer realm="https://t/token", Basic realm="a"', 'bearer'],
    ['Basic realm="a"', 'basic'],
    ['Bearer service="no-realm"', undefined],
    ['Negotiate', undefined],
  ])('%s → %s', (header, scheme) => {
    expect(pickChallenge(parseChallenges(header))?.scheme).toBe(scheme);
  });
});
