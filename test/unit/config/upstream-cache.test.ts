/** `upstreamCache:` (issue #22): routes per source, the Artifact Cache upstream list, service limits and clear errors. */
import { ConfigError } from '../../../functions/errors';
import { parseConfig } from '../../../functions/config/load-config';
import { cacheRuleIssues, cacheRules, MAX_CACHE_RULES, routeOf, type UpstreamCacheConfig } from '../../../functions/config/upstream-cache';
import { parseReference } from '../../../functions/oci/reference';

const FILE = '/etc/basegate/basegate.yaml';
const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries';

function config(cache: string, sources: string[], target = '  registry: contosobase.azurecr.io'): string {
  return ['target:', target, 'upstreamCache:', ...cache.split('\n').map((l) => `  ${l}`), 'images:', ...sources.map((s) => `  - { source: ${s}, tags: [v1] }`)].join('\n');
}

function problems(text: string): string[] {
  try {
    parseConfig(text, { file: FILE, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const ACR_CACHE: UpstreamCacheConfig = { registry: 'contosoquarantine.azurecr.io', repository: 'acr', required: false };

describe('routeOf: where a source is read', () => {
  it.each([
    ['docker.io/library/node', 'contosoquarantine.azurecr.io/docker.io/library/node'],
    ['node', 'contosoquarantine.azurecr.io/docker.io/library/node'],
    ['mcr.microsoft.com/dotnet/runtime', 'contosoquarantine.azurecr.io/mcr.microsoft.com/dotnet/runtime'],
    ['ghcr.io/org/tool', 'contosoquarantine.azurecr.io/ghcr.io/org/tool'],
    ['quay.io/prometheus/node-exporter', 'contosoquarantine.azurecr.io/quay.io/prometheus/node-exporter'],
    ['public.ecr.aws/docker/library/redis', 'contosoquarantine.azurecr.io/public.ecr.aws/docker/library/redis'],
    ['registry.k8s.io/pause', 'contosoquarantine.azurecr.io/registry.k8s.io/pause'],
    ['gcr.io/distroless/static', 'contosoquarantine.azurecr.io/gcr.io/distroless/static'],
  ])('%s goes through the ACR cache as %s', (source, cached) => {
    const route = routeOf(ACR_CACHE, parseReference(source, { defaultTag: false }));
    expect(route.kind === 'cache' && route.ref.toString()).toBe(cached);
  });

  it('a registry Artifact Cache does not serve bypasses it, saying why', () => {
    expect(routeOf(ACR_CACHE, parseReference('registry.gitlab.com/org/img', { defaultTag: false }))).toEqual({ kind: 'bypass', reason: expect.stringContaining('ACR Artifact Cache does not serve registry.gitlab.com') });
  });

  it('a name-keeping cache serves its one upstream only', () => {
    const same: UpstreamCacheConfig = { registry: '127.0.0.1:5002', repository: 'same', upstream: '127.0.0.1:5001', required: false };
    const route = routeOf(same, parseReference('127.0.0.1:5001/library/demo', { defaultTag: false }));
    expect(route.kind === 'cache' && route.ref.toString()).toBe('127.0.0.1:5002/library/demo');
    expect(routeOf(same, parseReference('docker.io/library/node', { defaultTag: false }))).toEqual({ kind: 'bypass', reason: 'the cache 127.0.0.1:5002 proxies 127.0.0.1:5001 only' });
  });
});

describe('cache rules and service limits', () => {
  it('one static rule per source repository, named within ACR\'s pattern, Docker Hub needing its credential set', () => {
    const rules = cacheRules(ACR_CACHE, ['docker.io/library/node', 'node', 'mcr.microsoft.com/dotnet/aspnet', 'registry.gitlab.com/x/y'].map((s) => parseReference(s, { defaultTag: false })));
    expect(rules.map((r) => [r.sourceRepository, r.targetRepository, r.credentials])).toEqual([
      ['docker.io/library/node', 'docker.io/library/node', 'required'],
      ['mcr.microsoft.com/dotnet/aspnet', 'mcr.microsoft.com/dotnet/aspnet', 'none'],
    ]);
    for (const r of rules) expect(r.name).toMatch(/^[A-Za-z0-9-]{5,50}$/);
  });

  it('more than 1,000 rules, or two on one repository, are what ACR refuses', () => {
    const many = Array.from({ length: MAX_CACHE_RULES + 1 }, (_, i) => ({ name: `r${i}`, sourceRepository: `docker.io/x/i${i}`, targetRepository: `docker.io/x/i${i}`, credentials: 'required' as const }));
    expect(cacheRuleIssues(many)).toEqual([{ path: ['upstreamCache'], message: expect.stringContaining('expected at most 1000 cache rules') }]);
    const twice = [many[0], { ...many[1], targetRepository: many[0].targetRepository }];
    expect(cacheRuleIssues(twice)).toEqual([{ path: ['upstreamCache'], message: expect.stringContaining('expected one cache rule per repository') }]);
  });
});

describe('upstreamCache in basegate.yaml: clear errors', () => {
  it('loads, routing each image', () => {
    const loaded = parseConfig(config(`registry: contosoquarantine.azurecr.io\nresourceId: ${SUB}/contosoquarantine`, ['docker.io/library/node', 'registry.gitlab.com/x/y']), { file: FILE, env: {} });
    expect(loaded.upstreamCache).toEqual({ registry: 'contosoquarantine.azurecr.io', repository: 'acr', required: false, resourceId: `${SUB}/contosoquarantine` });
    expect(loaded.images.map((i) => i.cacheRoute?.kind)).toEqual(['cache', 'bypass']);
  });

  it.each([
    ['required: true refuses a source the cache cannot serve', config('registry: q.example.com\nrequired: true', ['registry.gitlab.com/x/y']), 'images[0].source: expected a source the upstream cache serves (upstreamCache.required is true), found registry.gitlab.com/x/y'],
    ['the base registry as its own quarantine', config('registry: contosobase.azurecr.io', ['node']), 'upstreamCache.registry: expected a quarantine registry apart from the base registry contosobase.azurecr.io'],
    ['repository: same without upstream', config('registry: 127.0.0.1:5002\nrepository: same', ['node']), 'upstreamCache.upstream: expected upstream (the one host the cache proxies'],
    ['upstream with ACR naming', config('registry: q.example.com\nupstream: 127.0.0.1:5001', ['node']), 'upstreamCache.upstream: expected upstream only with repository: same'],
    ['a resource id of another registry', config(`registry: contosoquarantine.azurecr.io\nresourceId: ${SUB}/othername`, ['node']), 'upstreamCache.resourceId: expected the resource id of contosoquarantine.azurecr.io, found one of registry othername'],
    [
      'ARM import without the quarantine resource id',
      config('registry: contosoquarantine.azurecr.io', ['node'], `  registry: contosobase.azurecr.io\n  acr: { resourceId: ${SUB}/contosobase }`),
      "upstreamCache.resourceId: expected the quarantine registry's resource id with target.acr",
    ],
  ])('%s', (_what, text, expected) => {
    expect(problems(text).join('\n')).toContain(expected);
  });
});
