/**
 * The emergency read model: the declarations that open a resident's emergency subset to one client for a
 * while (`emergency_declaration`), and the subset itself — emergency information, allergies and recent
 * core-hospital prescriptions across the regional patient and every local record linked to it, whatever the
 * consents to facilities say. Who may declare, and for whom, is the consent layer's decision
 * (consent/emergency.ts); the codes that pick the subset come from it as values.
 */
import type { Basic, Resource } from '@medplum/fhirtypes';
import { Connection, databaseOf } from '../connection';
import { sql, Sql } from '../../core/sql';
import { linkedPatientIds } from '../read-scope';

export interface Declaration {
  clientId: string;
  organization?: string;
  patientId: string;
  reason: string;
  /** How long it stays open, a PostgreSQL interval ("1 hour"). */
  window: string;
}

export interface SubsetCodes {
  /** Basic.code of the resident's emergency information. */
  emergencyInfo: { system: string; code: string };
  /** Organization.type of the facilities whose prescriptions count (core hospitals). */
  prescribingFacilityType: { system: string; code: string };
  /** Prescriptions authored from this instant on. */
  prescribedSince: string;
}

export interface EmergencySubset {
  info: Basic[];
  allergies: Resource[];
  prescriptions: Resource[];
}

/** Most rows of one kind in a subset; a record needing more is read on the record screens, with consent. */
const MAX_ROWS = 500;

/** Records a declaration; answers when it closes. */
export async function declareEmergency(on: Connection, declaration: Declaration): Promise<Date> {
  const [declared] = await databaseOf(on).query<{ closes_at: Date | string }>(sql`INSERT INTO emergency_declaration (client_id, organization, patient_id, reason, closes_at)
    VALUES (${declaration.clientId}, ${declaration.organization ?? null}, ${declaration.patientId}, ${declaration.reason}, now() + ${declaration.window}::interval) RETURNING closes_at`);
  return new Date(declared.closes_at);
}

/** When the client's latest open declaration about the resident closes, if one is open. */
export async function openDeclaration(on: Connection, clientId: string, patientId: string): Promise<Date | undefined> {
  const [open] = await databaseOf(on).query<{ closes_at: Date | string }>(sql`SELECT closes_at FROM emergency_declaration
    WHERE client_id = ${clientId} AND patient_id = ${patientId} AND closes_at > now() ORDER BY closes_at DESC LIMIT 1`);
  return open ? new Date(open.closes_at) : undefined;
}

export async function emergencySubset(on: Connection, patientId: string, codes: SubsetCodes): Promise<EmergencySubset> {
  const db = databaseOf(on);
  const ids = linkedPatientIds(patientId);
  const rows = async <T extends Resource>(where: Sql): Promise<T[]> =>
    (await db.query<{ content: string }>(sql`SELECT r.content FROM resource r WHERE NOT r.deleted AND ${where} ORDER BY r.last_updated DESC LIMIT ${MAX_ROWS}`)).map((row) => JSON.parse(row.content) as T);
  const { emergencyInfo, prescribingFacilityType: facilityType, prescribedSince } = codes;
  return {
    info: await rows<Basic>(sql`r.resource_type = 'Basic' AND r.compartments && ${ids} AND EXISTS (SELECT 1 FROM sp_token t WHERE t.rid = r.rid AND t.resource_type = 'Basic'
      AND t.code = 'code' AND t.system = ${emergencyInfo.system} AND t.value = ${emergencyInfo.code})`),
    allergies: await rows(sql`r.resource_type = 'AllergyIntolerance' AND r.compartments && ${ids}`),
    prescriptions: await rows(sql`r.resource_type = 'MedicationRequest' AND r.compartments && ${ids}
      AND r.source IN (SELECT 'Organization/' || o.id FROM resource o JOIN sp_token t ON t.rid = o.rid
        WHERE o.resource_type = 'Organization' AND t.resource_type = 'Organization' AND t.code = 'type' AND t.system = ${facilityType.system} AND t.value = ${facilityType.code})
      AND EXISTS (SELECT 1 FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = 'MedicationRequest' AND d.code = 'authoredon' AND d.hi >= ${prescribedSince}::timestamptz)`),
  };
}
