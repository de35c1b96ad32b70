/** The registry client's options: defaults, schemes, refused contradictions. */
import { ConfigError } from '../../functions/errors';
import { DEFAULTS, isLoopback, resolveRegistryClientOptions } from '../../functions/oci/registry/options';
import { nextLink } from '../../functions/oci/registry/link';

describe('resolveRegistryClientOptions', () => {
  it('fills every default', () => {
    const o = resolveRegistryClientOptions();
    expect(o.timeouts).toEqual({ connectMs: DEFAULTS.connectMs, headersMs: DEFAULTS.headersMs, bodyMs: DEFAULTS.bodyMs });
    expect(o.retry.maxAttempts).toBe(DEFAULTS.maxAttempts);
    expect(o.host('ghcr.io')).toEqual({ username: undefined, password: undefined, token: undefined, scheme: 'https', concurrency: DEFAULTS.concurrency, minRemaining: 0, tokenRealms: [], maxTags: DEFAULTS.maxTags });
  });

  it.each([
    ['127.0.0.1:5000', 'http'],
    ['127.1.2.3', 'http'],
    ['localhost:5000', 'http'],
    ['[::1]:5000', 'http'],
    ['128.0.0.1:5000', 'https'],
    ['localhost.example.com', 'https'],
    ['ghcr.io', 'https'],
  ])('%s defaults to %s', (host, scheme) => {
    expect(resolveRegistryClientOptions().host(host).scheme).toBe(scheme);
  });

  it('honours insecure both ways', () => {
    const o = resolveRegistryClientOptions({ hosts: { 'reg.internal:5000': { insecure: true }, 'localhost:5000': { insecure: false } } });
    expect(o.host('reg.internal:5000').scheme).toBe('http');
    expect(o.host('localhost:5000').scheme).toBe('https');
  });

  it('maps docker.io to its API host', () => {
    const o = resolveRegistryClientOptions({ hosts: { 'docker.io': { username: 'u', password: 'p', minRemaining: 10 } } });
    expect(o.host('registry-1.docker.io')).toMatchObject({ username: 'u', minRemaining: 10 });
  });

  it.each([
    [{ hosts: { 'ghcr.io': { token: 't', username: 'u', password: 'p' } } }, /either a token or a username/],
    [{ hosts: { 'ghcr.io': { username: 'u' } } }, /username and password go together/],
    [{ hosts: { 'docker.io': {}, 'registry-1.docker.io': {} } }, /configured twice/],
    [{ hosts: { 'ghcr.io': { concurrency: 0 } } }, /concurrency/],
    [{ hosts: { 'ghcr.io': { minRemaining: -1 } } }, /minRemaining/],
    [{ hosts: { 'ghcr.io': { maxTags: 0 } } }, /maxTags/],
    [{ hosts: { 'ghcr.io': { tokenRealms: ['https://auth.example.com/token'] } } }, /tokenRealms\[0\]/],
    [{ retry: { baseDelayMs: 500, maxDelayMs: 100 } }, /exceeds maxDelayMs/],
    [{ retry: { maxAttempts: 0 } }, /maxAttempts/],
    [{ timeouts: { connectMs: 0 } }, /connectMs/],
    [{ userAgent: 'a\nb' }, /userAgent/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveRegistryClientOptions(options)).toThrow(ConfigError);
    expect(() => resolveRegistryClientOptions(options)).toThrow(message);
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['[::1]', true],
    ['[::2]:80', false],
    ['example.com:127', false],
  ])('isLoopback(%s) is %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe('nextLink', () => {
  const base = new URL('http://127.0.0.1:5000/v2/a/tags/list?n=2');
  it.each([
    ['</v2/a/tags/list?n=2&last=b>; rel="next"', 'http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b'],
    ['<http://other:1/v2/a/tags/list?last=c>;rel=next', 'http://other:1/v2/a/tags/list?last=c'],
    ['</prev>; rel="prev", </v2/a/tags/list?last=d>; rel="next"', 'http://127.0.0.1:5000/v2/a/tags/list?last=d'],
    ['</x>; rel="prev"', undefined],
    [undefined, undefined],
  ])('%j → %s', (value, expected) => {
    expect(nextLink(value, base)?.toString()).toBe(expected);
  });
});
