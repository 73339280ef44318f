/**
 * The single decision point for who may see and change what. Every read path asks `readFilter` for a SQL
 * predicate and puts it in its WHERE clause, so paging, totals and includes only ever count what the
 * caller may see. Nothing filters rows after they were fetched.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../auth/context';
import { raw, sql, Sql } from '../db/sql';
import { forbidden } from '../fhir/errors';

/** Resource types that describe the network itself rather than a patient; readable by every clinical role. */
const CONFORMANCE_TYPES = new Set(['CapabilityStatement', 'StructureDefinition', 'SearchParameter', 'ValueSet', 'CodeSystem', 'OperationDefinition', 'CompartmentDefinition', 'ConceptMap']);

export class AccessPolicy {
  /**
   * May this caller read resources of the FHIR REST API at all? Researchers see aggregates only,
   * through the research API, never records.
   */
  assertMayRead(ctx: RequestContext, resourceType?: string): void {
    if (ctx.role === 'researcher' && !(resourceType && CONFORMANCE_TYPES.has(resourceType))) {
      throw forbidden('Researchers may not read patient-level data');
    }
  }

  assertMayWrite(ctx: RequestContext, resource: { resourceType: string }): void {
    switch (ctx.role) {
      case 'admin':
      case 'gateway':
      case 'clinician':
        return;
      default:
        throw forbidden(`Role ${ctx.role} may not write ${resource.resourceType}`);
    }
  }

  /**
   * A predicate over a row of `resource` or `resource_history` named by `alias`
   * (columns `compartments`, `source`, `resource_type`).
   */
  readFilter(ctx: RequestContext, alias: string): Sql {
    const row = raw(alias);
    switch (ctx.role) {
      case 'admin':
      case 'gateway':
      case 'clinician':
        return raw('TRUE');
      case 'resident':
        return ctx.patient ? sql`${row}.compartments @> ARRAY[${ctx.patient.replace(/^Patient\//, '')}]::text[]` : raw('FALSE');
      default:
        return raw('FALSE');
    }
  }

  /** The facility recorded as meta.source for a write: the caller's own, never what the body claims. */
  sourceFor(ctx: RequestContext, resource: Resource): string | undefined {
    return ctx.organization ?? resource.meta?.source;
  }
}
