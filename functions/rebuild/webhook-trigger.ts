/**
 * Rebuild through a plain webhook (issue #6): one HTTPS POST of the `RebuildEvent` as JSON,
 *
 *   Content-Type: application/json
 *   User-Agent: basegate
 *   X-Basegate-Event: base-image-promoted
 *   X-Basegate-Delivery: <uuid, stable per (digest, dependent)>   receivers dedupe on it
 *   X-Basegate-Timestamp: <unix seconds>                           only when a secret is set:
 *   X-Basegate-Signature-V1: sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery>.<body>">
 *   X-Basegate-Signature: sha256=<hex HMAC-SHA256 of the body>     deprecated, sent for one release
 *
 * (webhook-signature.ts). The v1 signature is what basegate's generic endpoint verifies, so a
 * dependent may be another basegate.
 *
 * plus the dependent's own `headers`, which may not replace any of the headers above except
 * User-Agent. Any 2xx is success; other statuses map as in http-post.ts.
 */
import { ConfigError } from '../errors';
import type { RebuildEvent, RebuildOutcome } from '../pipeline/ports';
import { promotionId } from '../pipeline/records';
import { DELIVERY_HEADER, deliveryId } from './delivery-id';
import { httpPost, resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions } from './http-post';
import { rebuildPayload } from './rebuild-payload';
import type { RebuildTrigger, RebuildTriggerCallOptions } from './rebuild-trigger';
import { checkTransportSecurity } from './transport-security';
import { SIGNATURE_HEADER, SIGNATURE_V1_HEADER, sign, signV1, TIMESTAMP_HEADER } from './webhook-signature';

/** Header naming the event, so a receiver can route before parsing the body. */
export const EVENT_HEADER = 'x-basegate-event';

/** Options of {@link WebhookTrigger}: the `webhook:` entry (config's `WebhookDependent`) and the transport. */
export interface WebhookTriggerOptions {
  /** The dependent's id; the delivery id derives from it. */
  id: string;
  url: string;
  /** HMAC-SHA256 key of the signatures; no signature without it. */
  secret?: string;
  /** Extra request headers (never the signature, delivery or event headers). */
  headers?: Record<string, string>;
  /** Allow plain http to a host other than loopback. */
  insecure?: boolean;
  http?: HttpOptions;
  /** Signing time in ms since the epoch; default `Date.now`. */
  now?: () => number;
}

/** {@link WebhookTriggerOptions} checked, with lowercase header names. */
export interface ResolvedWebhookTriggerOptions {
  id: string;
  url: URL;
  secret: string | undefined;
  headers: Record<string, string>;
  http: ResolvedHttpOptions;
  now: () => number;
}

/** Headers basegate sets itself; config may not set them (a configured signature would defeat signing). */
const RESERVED_HEADERS = new Set([SIGNATURE_HEADER, SIGNATURE_V1_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER, EVENT_HEADER, 'content-type', 'content-length', 'transfer-encoding', 'host', 'connection']);

/** Header names whose values are credentials: scrubbed from errors like the secret. */
const CREDENTIAL_HEADER = /authorization|token|secret|key|password|cookie/i;

/** Checks the URL (https, or http to loopback or an insecure host), the secret and the headers. */
export function resolveWebhookTriggerOptions(options: WebhookTriggerOptions): ResolvedWebhookTriggerOptions {
  const url = checkTransportSecurity(options.url, { what: `webhook ${options.id}: url`, insecure: options.insecure });
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret === '')) {
    // An empty ${HOOK_SECRET} would sign with an empty key: refuse rather than send a signature anyone can forge.
    throw new ConfigError(`webhook ${options.id}: secret is empty; remove it or set a value`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const key = name.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) {
      throw new ConfigError(`webhook ${options.id}: header name ${JSON.stringify(name)} is not a valid HTTP token`, { code: 'REBUILD_CONFIG_INVALID' });
    }
    if (RESERVED_HEADERS.has(key)) {
      throw new ConfigError(`webhook ${options.id}: header ${name} is set by basegate and cannot be configured`, { code: 'REBUILD_HEADER_RESERVED' });
    }
    if (key in headers) throw new ConfigError(`webhook ${options.id}: header ${name} is given twice`, { code: 'REBUILD_CONFIG_INVALID' });
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new ConfigError(`webhook ${options.id}: header ${name} must be a single-line string`, { code: 'REBUILD_CONFIG_INVALID' });
    }
    headers[key] = value;
  }
  return { id: options.id, url, secret: options.secret, headers, http: resolveHttpOptions(options.http), now: options.now ?? Date.now };
}

/** Sends signed rebuild webhooks to one receiver. */
export class WebhookTrigger implements RebuildTrigger {
  readonly id: string;
  private readonly options: ResolvedWebhookTriggerOptions;

  constructor(options: WebhookTriggerOptions) {
    this.options = resolveWebhookTriggerOptions(options);
    this.id = this.options.id;
  }

  /** POSTs the event once; resolves on 2xx, throws a `RebuildTriggerError` otherwise. */
  async trigger(event: RebuildEvent, call: RebuildTriggerCallOptions = {}): Promise<RebuildOutcome> {
    const { url, secret, headers, http, now } = this.options;
    const body = Buffer.from(JSON.stringify(rebuildPayload(event)), 'utf8');
    const delivery = deliveryId(promotionId(event), this.id);
    const sent: Record<string, string> = {
      ...headers,
      'content-type': 'application/json',
      [EVENT_HEADER]: event.event,
      [DELIVERY_HEADER]: delivery,
    };
    if (secret) {
      Object.assign(sent, signV1(body, secret, now() / 1000, delivery));
      // Deprecated body-only signature: kept for one release so existing receivers keep verifying (docs/webhooks.md).
      sent[SIGNATURE_HEADER] = sign(body, secret);
    }
    const secrets = [secret ?? '', ...Object.entries(headers).filter(([k]) => CREDENTIAL_HEADER.test(k)).map(([, v]) => v)];
    const res = await httpPost({ kind: 'webhook', url, headers: sent, body, signal: call.signal, secrets }, http);
    return { status: 'triggered', detail: `delivery ${delivery} accepted with ${res.status}` };
  }

  /** Closes the connection pool built for a configured CA. */
  close(): Promise<void> {
    return this.options.http.close();
  }
}
