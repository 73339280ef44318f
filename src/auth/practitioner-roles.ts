/**
 * A practitioner's facilities as the directory records them: each active PractitionerRole names the
 * Organization and, in `code`, the job there. The office may create a practitioner's account without listing
 * facilities; they are then read from these. A mapping table, so another code system is a line here.
 */
import type { PractitionerRole } from '@medplum/fhirtypes';
import type { FacilityAssignment, FacilityRole } from './accounts';

/** Tonet's own job codes, and the HL7 practitioner-role codes that mean the same. */
export const JOB_CODES: Record<string, FacilityRole> = {
  'urn:tonet:job|doctor': 'doctor',
  'urn:tonet:job|nurse': 'nurse',
  'urn:tonet:job|clerk': 'clerk',
  'urn:tonet:job|emergency': 'emergency',
  'http://terminology.hl7.org/CodeSystem/practitioner-role|doctor': 'doctor',
  'http://terminology.hl7.org/CodeSystem/practitioner-role|nurse': 'nurse',
};

/** One assignment per active role with an Organization and a known job; the first known job of a role counts. */
export function facilitiesFromRoles(roles: PractitionerRole[]): FacilityAssignment[] {
  const assignments: FacilityAssignment[] = [];
  for (const role of roles) {
    const organization = role.organization?.reference;
    if (role.active === false || !organization || !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(organization)) continue;
    const job = role.code?.flatMap((c) => c.coding ?? []).map((c) => JOB_CODES[`${c.system}|${c.code}`]).find((j) => j !== undefined);
    if (job && !assignments.some((a) => a.organization === organization && a.role === job)) assignments.push({ organization, role: job });
  }
  return assignments;
}
