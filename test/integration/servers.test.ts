/** The shared real servers answer, in each auth mode, and the synthesiser's images round-trip. */
import { request } from 'undici';
import { rawGetManifest, rawGetBlob, rawTags } from '../helpers/raw-registry';
import { pushImage, synthImage } from '../helpers/image-synth';
import { testEnv, uniqueRepo } from '../servers/test-env';

describe('test servers', () => {
  it('anonymous registry answers /v2/ with 200', async () => {
    const res = await request(`http://${testEnv().registries.anonymous.host}/v2/`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
  });

  it.each(['basic', 'token'] as const)('%s registry challenges anonymous callers', async (mode) => {
    const res = await request(`http://${testEnv().registries[mode].host}/v2/`);
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(String(res.headers['www-authenticate'])).toMatch(mode === 'basic' ? /^Basic/ : /^Bearer realm=/);
  });

  it.each(['anonymous', 'basic', 'token'] as const)('a synthesised multi-arch image round-trips through the %s registry', async (mode) => {
    const env = testEnv().registries[mode];
    const [username, password] = 'users' in env ? Object.entries(env.users)[0] : [];
    const target = { host: env.host, username, password };
    const repo = uniqueRepo('synth');
    const image = synthImage({ seed: 'round-trip', layers: 2, layerSize: 4096 });
    await pushImage(target, repo, ['v1'], image);
    const got = await rawGetManifest(target, repo, 'v1');
    expect(got?.digest).toBe(image.digest);
    expect(got?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const [first] = image.blobs.keys();
    expect((await rawGetBlob(target, repo, first))?.equals(image.blobs.get(first)!)).toBe(true);
    expect(await rawTags(target, repo)).toEqual(['v1']);
  });

  it('Azurite answers on its queue port', async () => {
    const res = await request(`http://127.0.0.1:${testEnv().azurite.queuePort}/devstoreaccount1?comp=list`);
    await res.body.dump();
    expect([200, 403]).toContain(res.statusCode);
  });
});
