/**
 * `POST /api/approvals/{id}` with `{"decision": "approve"|"reject", "reason"?}`. The id is the
 * digest's state key, `<imageId>@<digest>` (URL-encoded; `/api/status` lists it under
 * `pendingApprovals`). Who decides is the caller App Service authenticated (api-auth.ts): its
 * name and Entra object id are recorded; a `by` in the body is refused, since a name anyone can
 * type is not an identity. The rule of pipeline/approval-decision.ts applies (only a digest the
 * approval gate holds, first decision wins); then a detect is requested for every tag that
 * points at the digest, so validation runs again.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ConfiguredImage } from '../../config/tracked-images';
import { isDigest } from '../../oci/reference';
import { decideApproval } from '../../pipeline/approval-decision';
import { digestKey, type Approval, type TagState } from '../../pipeline/records';
import { checkPayload } from '../../webhooks/push-event';
import { badRequest, conflict, notFound, RequestRejected } from '../../webhooks/request-rejected';
import { trackedTag } from '../../webhooks/tracked-tag';
import type { Caller } from './api-auth';
import { decodeRouteValue, findTrackedImage } from './find-tracked-image';
import { jsonResponse, respond } from './http-response';
import { readJson } from './read-json';
import type { HttpRuntime } from './register-http-routes';
import { APPROVAL_BODY_EXPECTED, approvalBodySchema } from './schema';

/** A decision body is a few hundred bytes. */
const MAX_APPROVAL_BODY = 16 * 1024;

/** Records the decision and requests the re-validation; 404 unknown id, 400 bad body, 409 not held or already decided. */
export async function approvalDecision(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime, caller?: Caller): Promise<HttpResponseInit> {
  return respond(context, async () => {
    // Registered routes are authorised before this runs; a direct call without a principal is refused too.
    if (caller?.kind !== 'principal') throw new RequestRejected(401, 'AUTH_REQUIRED', 'a decision needs a caller authenticated by App Service (Entra ID)');
    const { principal } = caller;
    const id = decodeRouteValue(request.params.id ?? '');
    const at = id.lastIndexOf('@');
    if (at <= 0 || !isDigest(id.slice(at + 1))) throw notFound('APPROVAL_NOT_FOUND', `approval id ${JSON.stringify(id.slice(0, 300))} is not <imageId>@sha256:<64 hex> (URL-encoded)`);
    const image = findTrackedImage(runtime.images, id.slice(0, at));
    const digest = id.slice(at + 1);
    const json = await readJson(request, APPROVAL_BODY_EXPECTED, MAX_APPROVAL_BODY);
    if (json !== null && typeof json === 'object' && 'by' in json) {
      throw badRequest('APPROVAL_BY_REFUSED', `"by" is not accepted: the decision is recorded under the authenticated caller (${principal.name}); expected ${APPROVAL_BODY_EXPECTED}`);
    }
    const body = checkPayload(approvalBodySchema, json, APPROVAL_BODY_EXPECTED);
    const tags = (await runtime.state.list<TagState>('tag')).filter((t) => t.value.imageId === image.id && t.value.seenDigest === digest).map((t) => t.value.tag);
    const approval: Approval = { decision: body.decision === 'approve' ? 'approved' : 'rejected', reason: body.reason, by: principal.name, byId: principal.objectId, via: 'entra', at: runtime.clock.now().toISOString() };
    const subject = image.source.withTag(tags[0]).withDigest(digest).toString();
    const outcome = await decideApproval(runtime.state, { imageId: image.id, digest, subject, approval });
    if ('refused' in outcome) {
      if (outcome.refused === 'no-verdict') throw notFound('APPROVAL_NOT_FOUND', outcome.message);
      throw conflict(outcome.refused === 'not-held' ? 'APPROVAL_NOT_HELD' : 'APPROVAL_ALREADY_DECIDED', outcome.message);
    }
    const checks = await revalidate(runtime, image, tags, `approval:${approval.decision}`);
    context.log('http: approval recorded', { imageId: image.id, digest, decision: approval.decision, by: approval.by, byId: approval.byId });
    return jsonResponse(200, { id: digestKey(image.id, digest), imageId: image.id, digest, ...approval, checks });
  });
}

/**
 * Asks for a detect of every tag pointing at the decided digest, so validation acts on the
 * decision; not coalesced: the first-decision rule already makes it one per digest. A tag no
 * longer tracked, or one under a tag policy, asks for the whole image.
 */
async function revalidate(runtime: HttpRuntime, image: ConfiguredImage, tags: string[], reason: string): Promise<Array<{ tag: string | null; correlationId: string }>> {
  const wanted = tags.length === 0 ? [undefined] : tags.map((t) => { const d = trackedTag(image, t); return d.tracked ? d.tag : undefined; });
  const checks = [];
  for (const tag of wanted.includes(undefined) ? [undefined] : [...new Set(wanted)]) {
    const correlationId = randomUUID();
    await runtime.requestCheck({ imageId: image.id, tag, reason, correlationId });
    checks.push({ tag: tag ?? null, correlationId });
  }
  return checks;
}
