/**
 * A FHIR request from start to completion, as a client makes it: the router answers it, and the one
 * AuditEvent of the interaction is appended before the answer leaves — naming the patients the answer holds
 * (rest-audit.ts), or the refusal or error. The transport calls this and audits nothing itself; if the entry
 * cannot be appended, the request fails rather than go unrecorded.
 */
import type { AuditTrail } from '../audit/types';
import type { RequestContext } from '../core/context';
import { FhirError } from '../core/errors';
import { failedRestEntry, restEntry } from './rest-audit';
import type { FhirRequest, FhirResponse, FhirRouter } from './router';

export async function serveAudited(router: FhirRouter, audit: AuditTrail, ctx: RequestContext, request: FhirRequest): Promise<FhirResponse> {
  let response: FhirResponse;
  try {
    response = await router.handle(ctx, request);
  } catch (err) {
    const status = err instanceof FhirError ? err.status : 500;
    // 401 and 403 are recorded by the HTTP error handler, for every route; a recorded refusal was recorded where it was decided.
    const recorded = err instanceof FhirError && err.recorded;
    if (status !== 401 && status !== 403 && !recorded) await audit.append(failedRestEntry(ctx, request, status, err as Error));
    throw err;
  }
  const entry = response.audited ? undefined : await restEntry(router.repo.connection, ctx, request, response);
  if (entry) await audit.append(entry);
  return response;
}
