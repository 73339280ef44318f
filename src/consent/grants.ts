/**
 * Keeps the access grants (store/access-grants.ts) in step with the Patient and Consent resources, inside the
 * transaction that writes them. A facility may see a patient id when an active facility-access Consent of
 * an enrolled resident names it; the grant covers the regional Patient and every local record linked to it.
 */
import type { Consent, Patient, Resource } from '@medplum/fhirtypes';
import type { Connection } from '../store/connection';
import type { StoredVersion } from '../store/resource-writes';
import { consentsAndLinksOf, Grant, regionalsGrantedBy, relinkLocalPatient, replaceGrants } from '../store/access-grants';
import { ENROLMENT, FACILITY_ACCESS } from './model';

export async function maintainConsentIndex(tx: Connection, versions: StoredVersion[]): Promise<void> {
  const regionals = new Set<string>();
  for (const version of versions) {
    const resource = version.resource;
    if (resource.resourceType === 'Patient') {
      const patient = resource as Patient;
      const regional = version.deleted ? undefined : regionalOf(patient);
      for (const id of await relinkLocalPatient(tx, patient.id as string, regional, patient.meta?.source)) regionals.add(id);
    } else if (resource.resourceType === 'Consent') {
      const patient = (resource as Consent).patient?.reference;
      if (patient?.startsWith('Patient/')) regionals.add(patient.slice('Patient/'.length));
      // The patient the previous version granted access to: a Consent moved to another patient (or deleted)
      // must not leave its old grant behind.
      for (const id of await regionalsGrantedBy(tx, resource.id as string)) regionals.add(id);
    }
  }
  for (const regionalId of regionals) await rebuildGrants(tx, regionalId);
}

/** A local record points at its regional Patient with Patient.link (type seealso, made by $link-card). */
function regionalOf(patient: Patient): string | undefined {
  const link = patient.link?.find((l) => l.type === 'seealso' && l.other?.reference?.startsWith('Patient/'));
  return link?.other.reference?.slice('Patient/'.length);
}

/**
 * While the resident is enrolled, each active permitting facility-access Consent grants its actors the
 * regional Patient and every local record linked to it; otherwise nothing is granted.
 */
async function rebuildGrants(tx: Connection, regionalId: string): Promise<void> {
  const { consents, localIds } = await consentsAndLinksOf(tx, regionalId);
  const grants: Grant[] = [];
  if (consents.some((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active')) {
    for (const consent of consents) {
      if (!isKind(consent, FACILITY_ACCESS.code as string) || consent.status !== 'active' || consent.provision?.type !== 'permit') continue;
      for (const actor of consent.provision.actor ?? []) {
        const organization = actor.reference?.reference;
        if (!organization?.startsWith('Organization/')) continue;
        for (const patientId of [regionalId, ...localIds]) grants.push({ organization, patientId, consentId: consent.id as string });
      }
    }
  }
  await replaceGrants(tx, regionalId, grants);
}

export function isKind(consent: Resource, code: string): boolean {
  return ((consent as Consent).category ?? []).some((c) => c.coding?.some((coding) => coding.system === ENROLMENT.system && coding.code === code));
}
