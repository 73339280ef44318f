/**
 * Refused requests, and how one is recorded: 401 (no, bad or expired token; failed client authentication),
 * 403 (denied) and 429 (a secret guessed at too often). Recorded for every route, whether or not it serves
 * patient data.
 */
import type { RequestContext } from '../core/context';
import type { AuditEntry, AuditTrail } from './types';

export interface RefusedRequest {
  method: string;
  url: string;
  ip: string;
  /** The caller, when the token was good and the request was denied. */
  tonet?: RequestContext;
}

function refusedEntry(request: RefusedRequest, status: 401 | 403 | 429, reason: string, clientId?: string): AuditEntry {
  return {
    ctx: request.tonet,
    clientId,
    action: status === 403 ? 'denied' : 'login-failure',
    patientIds: [],
    entities: [],
    outcome: '4',
    description: `${request.method} ${request.url} → ${status}: ${reason}`,
    remoteAddress: request.ip,
  };
}

/**
 * Records a refused request: the one entry of an interaction that ended in its refusal, appended where the
 * refusal is answered (HTTP: the error handler, for every route). Rejects when it cannot be recorded, which
 * the caller answers as a failure of its own rather than a quiet refusal.
 */
export function recordRefusal(trail: AuditTrail, request: RefusedRequest, status: 401 | 403 | 429, reason: string, clientId?: string): Promise<void> {
  return trail.append(refusedEntry(request, status, reason, clientId));
}
