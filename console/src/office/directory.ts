/**
 * The network's directory as the office keeps it, through Tonet's public APIs only: facilities are FHIR
 * Organizations (/fhir/Organization), their systems' OAuth clients the admin API's (/admin/clients), and the
 * people who log in the admin API's accounts (/admin/accounts), a practitioner's bound to a FHIR Practitioner.
 */
import { admin, fhir } from '../api/client';

const INSTITUTION_NUMBER = 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no';
const FACILITY_TYPE = 'urn:tonet:facility-type';

export interface Facility {
  reference: string;
  name: string;
  institutionNumber?: string;
  type?: string;
}

export interface Client {
  client_id: string;
  name: string;
  role: string;
  organization?: string;
  active: boolean;
}

export interface Account {
  id: string;
  username: string;
  kind: string;
  name: string;
  facilities?: { organization: string; role: string }[];
  status: string;
}

interface OrganizationResource {
  id: string;
  name?: string;
  identifier?: { system?: string; value?: string }[];
  type?: { coding?: { system?: string; code?: string }[] }[];
}

/** The region's facilities: Organizations with a facility type, in name order. */
export async function facilities(): Promise<Facility[]> {
  const bundle = await fhir<{ entry?: { resource?: OrganizationResource }[] }>('Organization?_count=200');
  return (bundle.entry ?? [])
    .flatMap((e) => (e.resource ? [e.resource] : []))
    .map((o) => ({
      reference: `Organization/${o.id}`,
      name: o.name ?? o.id,
      institutionNumber: o.identifier?.find((i) => i.system === INSTITUTION_NUMBER)?.value,
      type: o.type?.flatMap((t) => t.coding ?? []).find((c) => c.system === FACILITY_TYPE)?.code,
    }))
    .filter((f) => f.type)
    .sort((a, b) => a.name.localeCompare(b.name, 'ja'));
}

export async function clients(): Promise<Client[]> {
  return (await admin<{ clients: Client[] }>('clients')).clients;
}

export async function deactivateClient(clientId: string): Promise<void> {
  await admin(`clients/${encodeURIComponent(clientId)}/deactivate`, { method: 'POST' });
}

export async function accounts(): Promise<Account[]> {
  return (await admin<{ accounts: Account[] }>('accounts')).accounts;
}

export interface NewUser {
  kind: 'practitioner' | 'office';
  username: string;
  name: string;
  /** For a practitioner: where they work, and as what (doctor, nurse, clerk, emergency). */
  facility?: string;
  job?: string;
}

/**
 * A practitioner's account names their FHIR Practitioner, so one is written first (by the office, as the
 * directory's keeper); the account's password is generated and answered once.
 */
export async function createUser(user: NewUser): Promise<{ account: Account; password: string }> {
  let practitioner: string | undefined;
  if (user.kind === 'practitioner') {
    const created = await fhir<{ id: string }>('Practitioner', { method: 'POST', body: { resourceType: 'Practitioner', active: true, name: [{ text: user.name }] } });
    practitioner = `Practitioner/${created.id}`;
  }
  const body = {
    kind: user.kind,
    username: user.username,
    name: user.name,
    ...(practitioner ? { practitioner, facilities: [{ organization: user.facility, role: user.job }] } : {}),
  };
  const created = await admin<Account & { password: string }>('accounts', { method: 'POST', body: JSON.stringify(body) });
  const { password, ...account } = created;
  return { account, password };
}

/** Suspends a person's account (their logins and tokens end at once), or lets them in again. */
export async function setAccountActive(id: string, active: boolean): Promise<Account> {
  return admin(`accounts/${encodeURIComponent(id)}/${active ? 'reactivate' : 'suspend'}`, { method: 'POST' });
}
