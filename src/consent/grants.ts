/**
 * Keeps `patient_link` and `access_grant` in step with the Patient and Consent resources, inside the
 * transaction that writes them. A facility may see a patient id when an active facility-access Consent of
 * an enrolled resident names it; the grant covers the regional Patient and every local record linked to it.
 */
import type { Consent, Patient, Resource } from '@medplum/fhirtypes';
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
import type { StoredVersion } from '../fhir/store';
import { ENROLMENT, FACILITY_ACCESS } from './model';

export async function maintainConsentIndex(tx: Db, versions: StoredVersion[]): Promise<void> {
  const regionals = new Set<string>();
  for (const version of versions) {
    const resource = version.resource;
    if (resource.resourceType === 'Patient') {
      for (const id of await relinkPatient(tx, resource as Patient, version.deleted)) regionals.add(id);
    } else if (resource.resourceType === 'Consent') {
      const patient = (resource as Consent).patient?.reference;
      if (patient?.startsWith('Patient/')) regionals.add(patient.slice('Patient/'.length));
      // The patient the previous version granted access to: a Consent moved to another patient (or deleted)
      // must not leave its old grant behind.
      for (const id of await grantedBy(tx, resource.id as string)) regionals.add(id);
    }
  }
  for (const regionalId of regionals) await rebuildGrants(tx, regionalId);
}

async function grantedBy(tx: Db, consentId: string): Promise<string[]> {
  return (await tx.query<{ regional_id: string }>(sql`SELECT DISTINCT regional_id FROM access_grant WHERE consent_id = ${consentId}`)).map((r) => r.regional_id);
}

/** Records the local → regional link a Patient carries; returns the regional ids whose grants may change. */
async function relinkPatient(tx: Db, patient: Patient, deleted: boolean): Promise<string[]> {
  const localId = patient.id as string;
  const [previous] = await tx.query<{ regional_id: string }>(sql`SELECT regional_id FROM patient_link WHERE local_id = ${localId}`);
  const regional = deleted ? undefined : regionalOf(patient);
  const affected = new Set<string>();
  if (previous) affected.add(previous.regional_id);
  if (regional && regional !== localId) {
    affected.add(regional);
    await tx.query(sql`INSERT INTO patient_link (local_id, regional_id, organization) VALUES (${localId}, ${regional}, ${patient.meta?.source ?? null})
      ON CONFLICT (local_id) DO UPDATE SET regional_id = EXCLUDED.regional_id, organization = EXCLUDED.organization`);
  } else if (previous) {
    await tx.query(sql`DELETE FROM patient_link WHERE local_id = ${localId}`);
  }
  return [...affected];
}

/** A local record points at its regional Patient with Patient.link (type seealso, made by $link-card). */
function regionalOf(patient: Patient): string | undefined {
  const link = patient.link?.find((l) => l.type === 'seealso' && l.other?.reference?.startsWith('Patient/'));
  return link?.other.reference?.slice('Patient/'.length);
}

export async function rebuildGrants(tx: Db, regionalId: string): Promise<void> {
  await tx.query(sql`DELETE FROM access_grant WHERE regional_id = ${regionalId}`);
  const consents = (
    await tx.query<{ content: string }>(sql`SELECT r.content FROM resource r JOIN sp_reference x ON x.rid = r.rid
      WHERE x.resource_type = 'Consent' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = ${regionalId} AND NOT r.deleted`)
  ).map((row) => JSON.parse(row.content) as Consent);
  if (!consents.some((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active')) return;
  const locals = (await tx.query<{ local_id: string }>(sql`SELECT local_id FROM patient_link WHERE regional_id = ${regionalId}`)).map((r) => r.local_id);
  const rows: [string, string, string][] = [];
  for (const consent of consents) {
    if (!isKind(consent, FACILITY_ACCESS.code as string) || consent.status !== 'active' || consent.provision?.type !== 'permit') continue;
    for (const actor of consent.provision.actor ?? []) {
      const organization = actor.reference?.reference;
      if (!organization?.startsWith('Organization/')) continue;
      for (const patientId of [regionalId, ...locals]) rows.push([organization, patientId, consent.id as string]);
    }
  }
  if (!rows.length) return;
  await tx.query(sql`INSERT INTO access_grant (organization, patient_id, regional_id, consent_id)
    SELECT o, p, ${regionalId}, c FROM unnest(${rows.map((r) => r[0])}::text[], ${rows.map((r) => r[1])}::text[], ${rows.map((r) => r[2])}::text[]) AS x(o, p, c)
    ON CONFLICT DO NOTHING`);
}

export function isKind(consent: Resource, code: string): boolean {
  return ((consent as Consent).category ?? []).some((c) => c.coding?.some((coding) => coding.system === ENROLMENT.system && coding.code === code));
}

/** The regional Patient id and every local record linked to it, as a SQL array (the hub a patient-scoped query expands to). */
