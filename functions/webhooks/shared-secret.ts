/**
 * Shared-secret checks for senders that cannot sign: Docker Hub (the secret rides in the URL, its
 * webhook form takes nothing else) and ACR (a custom header set with `az acr webhook create --headers`).
 * Compared in constant time over HMACs of both values, so neither the length nor a prefix leaks.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { unauthorized } from './request-rejected';
import { secretNotConfigured, WEBHOOK_SECRET_SETTINGS, type SecretSender } from './webhook-secret-settings';

/** Header any sender that can set headers may use instead of its own form (`X-Basegate-Secret: <secret>`). */
export const SECRET_HEADER = 'x-basegate-secret';

/** Per-process key: the HMACs only make the comparison length-independent, they are never stored. */
const COMPARE_KEY = randomBytes(32);

/**
 * Throws a 401 unless `given` equals one of the accepted secrets of `sender` (the current one, or
 * the previous one during a rotation); `where` says where the secret was expected.
 */
export function checkSharedSecret(sender: SecretSender, given: string | undefined, accepted: string | readonly string[] | undefined, where: string): void {
  const secrets = (typeof accepted === 'string' ? [accepted] : accepted ?? []).filter((s) => s !== '');
  if (secrets.length === 0) {
    throw unauthorized('WEBHOOK_SECRET_NOT_CONFIGURED', secretNotConfigured(sender));
  }
  if (!given) throw unauthorized('WEBHOOK_SECRET_MISSING', `missing ${sender} webhook secret: expected ${where}`);
  const a = createHmac('sha256', COMPARE_KEY).update(given).digest();
  // Every candidate is compared, so the time taken says nothing about which one matched.
  const matches = secrets.map((s) => timingSafeEqual(a, createHmac('sha256', COMPARE_KEY).update(s).digest()));
  if (!matches.includes(true)) throw unauthorized('WEBHOOK_SECRET_WRONG', `the ${sender} webhook secret in ${where} does not match the configured secret (${WEBHOOK_SECRET_SETTINGS[sender]})`);
}

/** The secret of an `Authorization: Bearer <secret>` header, or undefined. */
export function bearerToken(header: string | null): string | undefined {
  const match = header === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
