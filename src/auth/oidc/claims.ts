/**
 * What an access token says about the person behind it: the same role / facility / resident claims a
 * client-credentials token carries (so the consent service decides the same way), plus who the person is.
 * A practitioner acts for the facility chosen at login, remembered per grant.
 */
import { FACILITY_ROLES, type Account, type FacilityAssignment } from '../accounts';
import type { OidcPayload } from '../../store/oidc-payloads';

interface PayloadStore {
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
}

/** What a grant acts in: the practitioner's facility and, for a SMART `launch/patient`, the patient in context. */
export interface LaunchContext {
  organization?: string;
  /** "Patient/<id>" */
  patient?: string;
}

export class FacilityChoices {
  constructor(private readonly store: PayloadStore) {}

  /** Remembered under the grant, so revoking the grant forgets it too; with the patient picked for a SMART launch. */
  async remember(grantId: string, context: LaunchContext, expiresIn: number): Promise<void> {
    await this.store.upsert(grantId, { grantId, ...context }, expiresIn);
  }

  /** Remembered under the browser session between the login and the consent step. */
  async rememberForSession(sessionUid: string, organization: string, expiresIn: number): Promise<void> {
    await this.store.upsert(`session:${sessionUid}`, { organization }, expiresIn);
  }

  async forSession(sessionUid: string): Promise<string | undefined> {
    return (await this.store.find(`session:${sessionUid}`))?.organization as string | undefined;
  }

  async forGrant(grantId: string): Promise<LaunchContext> {
    const found = await this.store.find(grantId);
    return { organization: found?.organization as string | undefined, patient: found?.patient as string | undefined };
  }
}

/** The facility assignment a practitioner acts under: the chosen one, or the only one. */
export function assignmentFor(account: Account, organization: string | undefined): FacilityAssignment | undefined {
  if (organization) return account.facilities.find((f) => f.organization === organization);
  return account.facilities.length === 1 ? account.facilities[0] : undefined;
}

/** `name` is the app's, as for a client-credentials token; the person is `person` and `person_name`. */
export function claimsForPerson(account: Account, context: LaunchContext, grantId: string | undefined, appName: string): Record<string, unknown> | undefined {
  const person = personClaims(account, context.organization);
  const launchPatient = account.kind === 'resident' ? account.patient : context.patient;
  return person && { ...person, name: appName, gid: grantId, ...(launchPatient ? { launch_patient: launchPatient } : {}) };
}

function personClaims(account: Account, organization: string | undefined): Record<string, unknown> | undefined {
  const base = { person_name: account.displayName, acct: account.id };
  switch (account.kind) {
    case 'resident':
      return { ...base, role: 'resident', pat: account.patient, person: account.patient };
    case 'office':
      return { ...base, role: 'admin', person: `Account/${account.id}` };
    case 'practitioner': {
      const assignment = assignmentFor(account, organization);
      if (!assignment) return undefined;
      return { ...base, role: FACILITY_ROLES[assignment.role], job: assignment.role, org: assignment.organization, person: account.practitioner };
    }
  }
}
