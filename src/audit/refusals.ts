/**
 * The entry for a refused request: 401 (no, bad or expired token; failed client authentication), 403
 * (denied) and 429 (a secret guessed at too often). Recorded for every route, whether or not it serves patient data.
 */
import type { RequestContext } from '../core/context';
import type { AuditEntry } from './types';

export interface RefusedRequest {
  method: string;
  url: string;
  ip: string;
  /** The caller, when the token was good and the request was denied. */
  tonet?: RequestContext;
}

export function refusedEntry(request: RefusedRequest, status: 401 | 403 | 429, reason: string, clientId?: string): AuditEntry {
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
