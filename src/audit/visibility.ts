/**
 * Which audit events a caller may read, as a SQL predicate over `audit_event a`, following the access
 * policy's roles: the network office sees all; a resident sees the events about their own records
 * (the regional Patient and every local record linked to it); every other client sees what it caused
 * itself, or what its facility caused. Researchers are refused by AccessPolicy.assertMayRead before this.
 */
import type { RequestContext } from '../core/context';
import { raw, sql, Sql } from '../core/sql';
import { linkedPatientIds } from '../store/read-scope';

export function auditReadFilter(ctx: RequestContext): Sql {
  switch (ctx.role) {
    case 'admin':
      return raw('TRUE');
    case 'resident':
      return ctx.patient ? sql`a.patient_ids && ${linkedPatientIds(ctx.patient.slice('Patient/'.length))}` : raw('FALSE');
    default:
      return ctx.organization ? sql`(a.client_id = ${ctx.clientId} OR a.organization = ${ctx.organization})` : sql`a.client_id = ${ctx.clientId}`;
  }
}
