/**
 * What is recorded about every look at or change of patient data, every card link, every emergency access,
 * every failed authentication and every denied request. One entry becomes one FHIR AuditEvent.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { Connection } from '../store/connection';

/** Entities named per event; patient ids are never cut, since the resident's access log depends on them. */
export const MAX_ENTITIES = 100;

export type AuditAction =
  | 'read'
  | 'vread'
  | 'search'
  | 'history'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'operation'
  | 'transaction'
  | 'batch'
  | 'link-card'
  | 'emergency-access'
  | 'login'
  | 'login-failure'
  | 'account-change'
  | 'denied';

export interface AuditEntry {
  /** The caller; undefined for a failed authentication (then `clientId` names who tried). */
  ctx?: RequestContext;
  clientId?: string;
  action: AuditAction;
  /** Patient ids whose data was touched (regional or local), for the resident's access log. */
  patientIds: string[];
  /** "Type/id" of the resources returned or changed (bounded by the caller). */
  entities: string[];
  /** FHIR AuditEvent.outcome: 0 success, 4 minor failure (denied, not found), 8 serious, 12 major. */
  outcome: '0' | '4' | '8' | '12';
  /** What was asked, e.g. "GET Observation?subject=…" or "$emergency-summary: reason …". */
  description: string;
  remoteAddress?: string;
}

/** Records an entry in the given transaction (or on its own, group-committed, when `on` is the server's connection). */
export interface AuditSink {
  record(on: Connection, entry: AuditEntry): Promise<void>;
  /** How many entries of this action a client left in the last `window` (a PostgreSQL interval), seen from `on`. */
  countRecent(on: Connection, clientId: string, action: AuditAction, window: string): Promise<number>;
}

/** The sink bound to the server's database: `append` records an entry in a statement of its own. */
export interface AuditTrail extends AuditSink {
  append(entry: AuditEntry): Promise<void>;
  /** Whose data the resources are (patients.ts), for an entry about them. */
  patientsSeen(resources: readonly Resource[]): Promise<string[]>;
}
