/** Schemas of the HTTP API's own request bodies (the webhook bodies are in functions/webhooks/schema.ts). */
import { z } from 'zod';

/**
 * `POST /api/approvals/{id}`: a person's decision; unknown fields are refused (a typo must not pass
 * as a decision). There is no `by`: who decided is the authenticated caller (api-auth.ts).
 */
export const approvalBodySchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: z.string().min(1).max(2000).optional(),
});

export const APPROVAL_BODY_EXPECTED = '{"decision": "approve" | "reject", "reason"?: string}';
