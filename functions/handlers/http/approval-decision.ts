/**
 * `POST /api/approvals/{id}` with `{"decision": "approve"|"reject", "by"?, "reason"?}`. The id is
 * the digest's state key, `<imageId>@<digest>` (URL-encoded; `/api/status` lists it under
 * `pendingApprovals`). Only a digest whose verdict waits on the approval gate takes a decision;
 * it is recorded (pipeline/approval-decision.ts, as `basegate approve` does) and a detect is
 * requested for every tag that points at the digest, so validation runs again.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { isDigest } from '../../oci/reference';
import { awaitsApproval, recordApproval } from '../../pipeline/approval-decision';
import { digestKey, type Approval, type TagState, type Verdict } from '../../pipeline/records';
import { heldBecause } from '../../pipeline/validate';
import { checkPayload } from '../../webhooks/push-event';
import { conflict, notFound } from '../../webhooks/request-rejected';
import { trackedTag } from '../../webhooks/tracked-tag';
import { decodeRouteValue, findTrackedImage } from './find-tracked-image';
import { jsonResponse, respond } from './http-response';
import { readJson } from './read-json';
import type { HttpRuntime } from './register-http-routes';
import { APPROVAL_BODY_EXPECTED, approvalBodySchema } from './schema';

/** A decision body is a few hundred bytes. */
const MAX_APPROVAL_BODY = 16 * 1024;

/** Records the decision and requests the re-validation; 404 unknown id, 400 bad body, 409 not held for a person. */
export async function approvalDecision(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const id = decodeRouteValue(request.params.id ?? '');
    const at = id.lastIndexOf('@');
    if (at <= 0 || !isDigest(id.slice(at + 1))) throw notFound('APPROVAL_NOT_FOUND', `approval id ${JSON.stringify(id.slice(0, 300))} is not <imageId>@sha256:<64 hex> (URL-encoded)`);
    const image = findTrackedImage(runtime.images, id.slice(0, at));
    const digest = id.slice(at + 1);
    const body = checkPayload(approvalBodySchema, await readJson(request, APPROVAL_BODY_EXPECTED, MAX_APPROVAL_BODY), APPROVAL_BODY_EXPECTED);
    const verdict = await runtime.state.get<Verdict>('verdict', digestKey(image.id, digest));
    if (!verdict) throw notFound('APPROVAL_NOT_FOUND', `${image.id}@${digest} has no verdict: basegate has not validated this digest, so nothing is held`);
    if (!awaitsApproval(verdict.value)) {
      const state = verdict.value.outcome === 'pending' ? `held, but not waiting for a person (${heldBecause(verdict.value)})` : `already ${verdict.value.outcome} at ${verdict.value.at}`;
      throw conflict('APPROVAL_NOT_HELD', `${image.id}@${digest} is ${state}; only a digest held by the approval gate takes a decision`);
    }
    const tags = (await runtime.state.list<TagState>('tag')).filter((t) => t.value.imageId === image.id && t.value.seenDigest === digest).map((t) => t.value.tag);
    const approval: Approval = { decision: body.decision === 'approve' ? 'approved' : 'rejected', reason: body.reason, by: body.by ?? request.user?.username, at: runtime.clock.now().toISOString() };
    const subject = image.source.withTag(tags[0]).withDigest(digest).toString();
    await recordApproval(runtime.state, { imageId: image.id, digest, subject, approval });
    // A tag no longer tracked, or one under a tag policy, asks for the whole image.
    const wanted = tags.length === 0 ? [undefined] : tags.map((t) => { const d = trackedTag(image, t); return d.tracked ? d.tag : undefined; });
    const checks = [];
    for (const tag of wanted.includes(undefined) ? [undefined] : [...new Set(wanted)]) {
      const correlationId = randomUUID();
      await runtime.requestCheck({ imageId: image.id, tag, reason: `approval:${approval.decision}`, correlationId });
      checks.push({ tag: tag ?? null, correlationId });
    }
    context.log('http: approval recorded', { imageId: image.id, digest, decision: approval.decision, by: approval.by });
    return jsonResponse(200, { id: digestKey(image.id, digest), imageId: image.id, digest, ...approval, checks });
  });
}
