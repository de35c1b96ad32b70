/**
 * A strict receiver of basegate rebuild webhooks (HTTP or HTTPS). It checks what the basegate
 * webhook contract promises: a JSON POST, a User-Agent, an `X-Basegate-Delivery` id, and, when
 * the step names a secret, both signatures (docs/webhooks.md, "Signatures"): the v1
 * `X-Basegate-Signature-V1` over `<X-Basegate-Timestamp>.<X-Basegate-Delivery>.<body>` and the
 * deprecated body-only `X-Basegate-Signature`. They are checked here with node:crypto directly,
 * not with basegate's own verifier, so the two are independent.
 */
import { createHmac } from 'node:crypto';
import { jsonPostProblems, startScriptedServer, type RecordedRequest, type Reply, type ScriptedServer } from './scripted-http-server';
import type { SelfSignedCert } from './self-signed-cert';

/** A delivery as received. */
export interface ReceivedDelivery {
  request: RecordedRequest;
  json: unknown;
  /** Whether the signature matched the step's secret; undefined when the step had none. */
  signatureValid: boolean | undefined;
}

/** What one expected delivery checks and answers. */
export interface DeliveryExpectation {
  /** The secret the receiver verifies with; the signature header must be absent when not given. */
  secret?: string;
  /** `problem` (default) fails the test on a bad signature; `reject` answers 401 as a real receiver would. */
  onBadSignature?: 'problem' | 'reject';
  /** Default 200. */
  reply?: Reply;
}

/** A webhook receiver: a scripted server plus the deliveries it got. */
export interface WebhookReceiver extends ScriptedServer {
  deliveries: ReceivedDelivery[];
  /** Expects one delivery. */
  expectDelivery(expectation?: DeliveryExpectation): void;
}

/** The header value a correct signer produces, computed independently of basegate. */
export function expectedSignature(body: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Starts a webhook receiver on 127.0.0.1 (HTTPS with `tls`). */
export async function startWebhookReceiver(options: { tls?: SelfSignedCert } = {}): Promise<WebhookReceiver> {
  const server = await startScriptedServer({ name: options.tls ? 'https webhook receiver' : 'webhook receiver', tls: options.tls });
  const deliveries: ReceivedDelivery[] = [];
  server.onReset(() => void (deliveries.length = 0));
  return Object.assign(server, {
    deliveries,
    expectDelivery(expectation: DeliveryExpectation = {}) {
      server.expect({
        label: 'a rebuild webhook delivery',
        handle(req) {
          const { problems, json } = jsonPostProblems(req);
          if (!req.headers['user-agent']) problems.push('no User-Agent');
          if (!/^[0-9a-f-]{36}$/.test(String(req.headers['x-basegate-delivery']))) problems.push(`X-Basegate-Delivery ${req.headers['x-basegate-delivery']} is not a UUID`);
          const header = req.headers['x-basegate-signature'];
          const v1 = req.headers['x-basegate-signature-v1'];
          const timestamp = req.headers['x-basegate-timestamp'];
          let signatureValid: boolean | undefined;
          if (expectation.secret === undefined) {
            if (header !== undefined || v1 !== undefined || timestamp !== undefined) problems.push('a signature header although no secret is configured');
          } else {
            if (typeof timestamp !== 'string' || !/^\d{10}$/.test(timestamp)) problems.push(`X-Basegate-Timestamp ${String(timestamp)} is not Unix seconds`);
            const signedV1 = Buffer.concat([Buffer.from(`${String(timestamp)}.${String(req.headers['x-basegate-delivery'])}.`), req.body]);
            signatureValid = header === expectedSignature(req.body, expectation.secret) && v1 === expectedSignature(signedV1, expectation.secret);
          }
          deliveries.push({ request: req, json, signatureValid });
          if (signatureValid === false) {
            if ((expectation.onBadSignature ?? 'problem') === 'reject') return { problems, reply: { status: 401, body: { message: 'bad signature' } } };
            problems.push(`signature ${String(header)} does not verify`);
          }
          return { problems, reply: expectation.reply ?? { status: 200, body: { ok: true } } };
        },
      });
    },
  });
}
