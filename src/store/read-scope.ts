/**
 * What one caller may read, as a value. The consent layer decides it (`AccessPolicy.readScope`, the one place
 * that knows roles); the store alone turns it into SQL over its own tables (`readScopeSql`). A read path
 * outside the store never builds an access predicate, so none can be forgotten, widened or mistyped there.
 */
import { allResourceTypes, patientCompartmentParams } from '../core/definitions';
import { or, raw, sql, Sql } from '../core/sql';

export type ReadScope =
  /** The network office. */
  | { readonly kind: 'everything' }
  /** Researchers (aggregates only) and unknown roles. */
  | { readonly kind: 'nothing' }
  /** Network directory data (Organization, Practitioner, PlanDefinition…), and each part given. */
  | {
      readonly kind: 'directory-and';
      /** What this supplier (`Organization/<id>`) stored, of these types only when given. */
      readonly supplied?: { readonly by: string; readonly types?: readonly string[] };
      /** What is in the compartment of a patient this facility holds an access grant for, Consents excepted. */
      readonly grantedTo?: string;
      /** Consents naming this facility as their actor (who linked their card there). */
      readonly consentsNaming?: string;
      /** A resident's own compartment (their regional and linked local records): what they supplied, or of these types. */
      readonly ownRecord?: { readonly patientId: string; readonly supplier: string; readonly types: readonly string[] };
    };

/**
 * The predicate over a row of `resource` or `resource_history` named by `alias` (columns `rid`, `resource_type`,
 * `compartments`, `source`).
 */
export function readScopeSql(scope: ReadScope, alias: string): Sql {
  if (scope.kind === 'everything') return raw('TRUE');
  if (scope.kind === 'nothing') return raw('FALSE');
  const row = raw(alias);
  // A resource of a type that belongs to patients but names none that could be resolved is not directory
  // data: its source alone sees it.
  const parts: Sql[] = [sql`(cardinality(${row}.compartments) = 0 AND ${row}.resource_type <> ALL(${patientDataTypes()}::text[]))`];
  if (scope.supplied) {
    const { by, types } = scope.supplied;
    parts.push(types ? sql`(${row}.source = ${by} AND ${row}.resource_type = ANY(${[...types]}::text[]))` : sql`${row}.source = ${by}`);
  }
  if (scope.grantedTo) {
    // A probe of access_grant's key per row, not `compartments && ARRAY(every grant of the facility)`: an array
    // overlap compares each element with each, so every row a search looked at cost as many text comparisons
    // as the facility had grants (a name search at a clinic with 2,000 grants: 8 ms against 2.7 ms).
    parts.push(sql`(${row}.resource_type <> 'Consent' AND EXISTS (SELECT 1 FROM access_grant g WHERE g.organization = ${scope.grantedTo} AND g.patient_id = ANY(${row}.compartments)))`);
  }
  if (scope.consentsNaming) {
    parts.push(sql`(${row}.resource_type = 'Consent' AND EXISTS (SELECT 1 FROM sp_reference a WHERE a.rid = ${row}.rid
      AND a.resource_type = 'Consent' AND a.code = 'actor' AND a.target_type = 'Organization'
      AND a.target_id = ${scope.consentsNaming.slice('Organization/'.length)}))`);
  }
  if (scope.ownRecord) {
    const { patientId, supplier, types } = scope.ownRecord;
    parts.push(sql`(${row}.compartments && ${linkedPatientIds(patientId)} AND (${row}.source = ${supplier} OR ${row}.resource_type = ANY(${[...types]}::text[])))`);
  }
  return sql`(${or(parts)})`;
}

/** The regional patient id and every facility-local record linked to it, as a SQL `text[]`. */
export function linkedPatientIds(patientId: string): Sql {
  return sql`(ARRAY[${patientId}]::text[] || ARRAY(SELECT local_id FROM patient_link WHERE regional_id = ${patientId}))`;
}

let patientTypes: string[] | undefined;

/**
 * Types that hold a patient's data: the Patient compartment of the R4 CompartmentDefinition, Patient itself,
 * and the containers that can carry any of them (Bundle, Binary); less the compartment types that also describe
 * the network's own equipment and lists when they name no patient (a scanner Device and its Schedule).
 */
function patientDataTypes(): string[] {
  patientTypes ??= allResourceTypes().filter((t) => !SHARED_WITHOUT_PATIENT.has(t) && (t === 'Patient' || CONTAINER_TYPES.has(t) || patientCompartmentParams(t).length > 0));
  return patientTypes;
}
const CONTAINER_TYPES = new Set(['Bundle', 'Binary']);
const SHARED_WITHOUT_PATIENT: ReadonlySet<string> = new Set(['Device', 'Schedule', 'Group', 'Person']);
