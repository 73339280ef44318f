/**
 * Whether the signed-in clinician's facility takes emergencies, so that the desk offers the emergency view only
 * where it can be used. Read from the facility's Organization (its urn:tonet:facility-type coding); the server
 * decides from the same coding (EMERGENCY_CAPABLE_TYPES in src/consent/model.ts), and this list mirrors it only
 * to choose which tabs to show.
 */
import { fhir } from '../api/client';

const FACILITY_TYPE = 'urn:tonet:facility-type';
const EMERGENCY_CAPABLE_TYPES: readonly string[] = ['core-hospital', 'emergency'];

interface OrganizationResource {
  type?: { coding?: { system?: string; code?: string }[] }[];
}

/**
 * true or false once the facility's type is known; undefined when it is not (the Organization cannot be read,
 * or names no facility type), and then the server's answer is what the clinician sees.
 */
export async function facilityTakesEmergencies(facility: string): Promise<boolean | undefined> {
  const organization = await fhir<OrganizationResource>(facility).catch(() => undefined);
  const types = (organization?.type ?? []).flatMap((t) => t.coding ?? []).filter((c) => c.system === FACILITY_TYPE);
  if (types.length === 0) return undefined;
  return types.some((c) => EMERGENCY_CAPABLE_TYPES.includes(c.code as string));
}
