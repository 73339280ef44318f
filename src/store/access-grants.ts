/**
 * The tables behind the consent decision's "who may see whom": `patient_link` (a facility's local Patient →
 * the regional Patient its Patient.link names) and `access_grant` (a facility may see a patient id, by a
 * Consent). Kept in the transaction that writes Patients and Consents by the consent layer's write hook
 * (consent/grants.ts), which decides which Consents grant; read by the read scope (read-scope.ts).
 */
import type { Consent } from '@medplum/fhirtypes';
import { Connection, databaseOf } from './connection';
import { sql } from '../core/sql';

export interface Grant {
  organization: string;
  patientId: string;
  consentId: string;
}

/** The regional patients the grants of a Consent's stored version name. */
export async function regionalsGrantedBy(on: Connection, consentId: string): Promise<string[]> {
  return (await databaseOf(on).query<{ regional_id: string }>(sql`SELECT DISTINCT regional_id FROM access_grant WHERE consent_id = ${consentId}`)).map((r) => r.regional_id);
}

/**
 * Records a local Patient's link to its regional Patient (none: the link is removed); answers the regional
 * ids whose grants may change, the one it linked to before among them.
 */
export async function relinkLocalPatient(on: Connection, localId: string, regionalId: string | undefined, organization: string | undefined): Promise<string[]> {
  const db = databaseOf(on);
  const [previous] = await db.query<{ regional_id: string }>(sql`SELECT regional_id FROM patient_link WHERE local_id = ${localId}`);
  const affected = new Set<string>();
  if (previous) affected.add(previous.regional_id);
  if (regionalId && regionalId !== localId) {
    affected.add(regionalId);
    await db.query(sql`INSERT INTO patient_link (local_id, regional_id, organization) VALUES (${localId}, ${regionalId}, ${organization ?? null})
      ON CONFLICT (local_id) DO UPDATE SET regional_id = EXCLUDED.regional_id, organization = EXCLUDED.organization`);
  } else if (previous) {
    await db.query(sql`DELETE FROM patient_link WHERE local_id = ${localId}`);
  }
  return [...affected];
}

/** The live Consents whose patient is the regional Patient, and the local records linked to it. */
export async function consentsAndLinksOf(on: Connection, regionalId: string): Promise<{ consents: Consent[]; localIds: string[] }> {
  const db = databaseOf(on);
  const consents = (
    await db.query<{ content: string }>(sql`SELECT r.content FROM resource r JOIN sp_reference x ON x.rid = r.rid
      WHERE x.resource_type = 'Consent' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = ${regionalId} AND NOT r.deleted`)
  ).map((row) => JSON.parse(row.content) as Consent);
  const localIds = (await db.query<{ local_id: string }>(sql`SELECT local_id FROM patient_link WHERE regional_id = ${regionalId}`)).map((r) => r.local_id);
  return { consents, localIds };
}

/** Replaces every grant about the regional patient with these. */
export async function replaceGrants(on: Connection, regionalId: string, grants: readonly Grant[]): Promise<void> {
  const db = databaseOf(on);
  await db.query(sql`DELETE FROM access_grant WHERE regional_id = ${regionalId}`);
  if (!grants.length) return;
  await db.query(sql`INSERT INTO access_grant (organization, patient_id, regional_id, consent_id)
    SELECT o, p, ${regionalId}, c FROM unnest(${grants.map((g) => g.organization)}::text[], ${grants.map((g) => g.patientId)}::text[], ${grants.map((g) => g.consentId)}::text[]) AS x(o, p, c)
    ON CONFLICT DO NOTHING`);
}
