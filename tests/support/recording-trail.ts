/**
 * An audit trail that keeps the entries it is handed, so a domain test reads back exactly what an operation
 * recorded (each field, and how many times) without going through the chained table.
 */
import type { AuditEntry, AuditTrail } from '../../src/audit/types';
import type { RequestContext } from '../../src/core/context';

export class RecordingTrail implements AuditTrail {
  readonly entries: AuditEntry[] = [];

  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }

  async record(_on: unknown, entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }

  async countRecent(): Promise<number> {
    return 0;
  }

  async patientsSeen(): Promise<string[]> {
    return [];
  }

  /** The entries recorded since this was last asked. */
  take(): AuditEntry[] {
    return this.entries.splice(0);
  }
}

/** A caller as a bearer token makes it, from a documentation address (RFC 5737). */
export function callerContext(role: RequestContext['role'], extra: Partial<RequestContext> = {}): RequestContext {
  return { clientId: `${role}-client`, clientName: `${role} client`, role, purposeOfUse: 'TREAT', requestId: 'req-1', remoteAddress: '203.0.113.7', ...extra };
}
