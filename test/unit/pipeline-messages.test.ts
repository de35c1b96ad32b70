/** The queue message schema (functions/pipeline/messages.ts): what passes, and the reason for what does not. */
import { canonicalMessageText, MessageRefused, newMessage, parseMessage } from '../../functions/pipeline/messages';

const DIGEST = `sha256:${'0'.repeat(64)}`;
const base = { v: 1, imageId: 'docker.io/library/node→base/node', correlationId: 'c1' };
const event = { event: 'base-image-promoted', image: 'docker.io/library/node:20', tag: '20', digest: DIGEST, target: `r.example/base/node@${DIGEST}`, immutableTag: '20-000000000000', time: '2026-01-01T00:00:00Z' };

describe('parseMessage', () => {
  it.each([
    ['detect of an image', { ...base, kind: 'detect', reason: 'schedule' }],
    ['detect of a tag', { ...base, kind: 'detect', tag: '20-alpine', reason: 'webhook:acr' }],
    ['validate', { ...base, kind: 'validate', tag: '20', digest: DIGEST, force: true }],
    ['promote after one delay', { ...base, kind: 'promote', tag: '20', digest: DIGEST, attempt: 1 }],
    ['rebuild', { ...base, kind: 'rebuild', tag: '20', dependent: 'webhook:x', event }],
  ])('accepts %s, as an object and as JSON text', (_name, message) => {
    expect(parseMessage(message)).toEqual(message);
    expect(parseMessage(JSON.stringify(message))).toEqual(message);
  });

  it('drops fields it does not know (a tolerant reader)', () => {
    expect(parseMessage({ ...base, kind: 'detect', reason: 'x', extra: 1 })).toEqual({ ...base, kind: 'detect', reason: 'x' });
  });

  it.each([
    ['text that is not JSON', 'hello', 'MESSAGE_INVALID', /not JSON/],
    ['an array', [1], 'MESSAGE_INVALID', /found an array/],
    ['null', null, 'MESSAGE_INVALID', /found null/],
    ['no version', { kind: 'detect' }, 'MESSAGE_VERSION_UNSUPPORTED', /found none/],
    ['version 2', { ...base, v: 2, kind: 'detect', reason: 'x' }, 'MESSAGE_VERSION_UNSUPPORTED', /version 2 is not supported: this app reads v1/],
    ['an unknown kind', { ...base, kind: 'scan' }, 'MESSAGE_INVALID', /kind/],
    ['a validate without digest', { ...base, kind: 'validate', tag: '20' }, 'MESSAGE_INVALID', /digest/],
    ['a bad digest', { ...base, kind: 'promote', tag: '20', digest: 'latest' }, 'MESSAGE_INVALID', /digest: expected a digest/],
    ['a bad tag', { ...base, kind: 'promote', tag: '-x', digest: DIGEST }, 'MESSAGE_INVALID', /tag: expected an image tag/],
    ['oversize text', JSON.stringify({ ...base, kind: 'detect', reason: 'x'.repeat(60_000) }), 'MESSAGE_INVALID', /larger than/],
  ])('refuses %s with a reason', (_name, input, code, reason) => {
    let error: unknown;
    try {
      parseMessage(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MessageRefused);
    expect(error).toMatchObject({ code, temporary: false, message: expect.stringMatching(reason) });
  });
});

describe('newMessage and canonicalMessageText', () => {
  it('stamps the version and the kind', () => {
    expect(newMessage('detect', { imageId: 'i', reason: 'r', correlationId: 'c' })).toEqual({ v: 1, kind: 'detect', imageId: 'i', reason: 'r', correlationId: 'c' });
  });

  it('gives the same text for what the host hands over and what the poison queue holds', () => {
    const m = newMessage('promote', { imageId: 'i', tag: 't', digest: DIGEST, correlationId: 'c' });
    expect(canonicalMessageText(JSON.parse(JSON.stringify(m)))).toBe(JSON.stringify(m));
    expect(canonicalMessageText('plain text')).toBe('plain text');
    expect(canonicalMessageText(JSON.parse('"quoted"'))).toBe('quoted');
  });
});
