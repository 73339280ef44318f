/** The resident's own record over GraphQL (myRecord and its mutations) and FHIR (facility names, bookings). */
import { fhir, graphql } from '../api/client';

export interface Quantity {
  value?: number;
  unit?: string;
}

export interface VitalObservation {
  id: string;
  effectiveDateTime?: string;
  code?: { coding?: { code?: string }[] };
  valueQuantity?: Quantity;
  component?: { code?: { coding?: { code?: string }[] }; valueQuantity?: Quantity }[];
}

export interface ConsentResource {
  id: string;
  status: string;
  dateTime?: string;
  category?: { coding?: { code?: string; display?: string }[] }[];
  provision?: { actor?: { reference?: { reference?: string } }[] };
}

export interface AuditEventResource {
  id: string;
  recorded: string;
  action?: string;
  subtype?: { code?: string }[];
  outcome?: string;
  purposeOfEvent?: { coding?: { code?: string }[] }[];
  agent?: { who?: { reference?: string; display?: string }; requestor?: boolean }[];
}

export interface EmergencyInfoResource {
  extension?: { url: string; valueString?: string; valueReference?: { reference?: string }; extension?: { url: string; valueString?: string }[] }[];
}

export interface MyRecord {
  patientId: string;
  patient: { name?: { text?: string; family?: string; given?: string[] }[] };
  vitals: VitalObservation[];
  emergencyInfo?: EmergencyInfoResource | null;
  consents: ConsentResource[];
  accessLog: AuditEventResource[];
}

export async function myRecord(): Promise<MyRecord> {
  return (await graphql<{ myRecord: MyRecord }>('{ myRecord { patientId patient vitals emergencyInfo consents accessLog } }')).myRecord;
}

export interface VitalsInput {
  height?: number;
  weight?: number;
  systolic?: number;
  diastolic?: number;
}

export async function recordVitals(vitals: VitalsInput): Promise<void> {
  await graphql('mutation($v: VitalsInput!) { recordVitals(vitals: $v) }', { v: vitals });
}

export interface EmergencyInfoInput {
  contacts: { name: string; relationship?: string; phone: string }[];
  allergies: string[];
  familyDoctor?: string;
  notes?: string;
}

export async function updateEmergencyInfo(info: EmergencyInfoInput): Promise<void> {
  await graphql('mutation($i: EmergencyInfoInput!) { updateEmergencyInfo(info: $i) }', { i: info });
}

export async function revokeConsent(consentId: string): Promise<void> {
  await graphql('mutation($id: ID!) { revokeConsent(consentId: $id) }', { id: consentId });
}

/** Facility names for "Organization/<id>" references, in one search. */
export async function organizationNames(references: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(references.filter((r) => r.startsWith('Organization/')).map((r) => r.slice('Organization/'.length)))];
  if (!ids.length) return new Map();
  const bundle = await fhir<{ entry?: { resource?: { id: string; name?: string } }[] }>(`Organization?_id=${ids.map(encodeURIComponent).join(',')}&_count=${ids.length}`);
  return new Map((bundle.entry ?? []).flatMap((e) => (e.resource ? [[`Organization/${e.resource.id}`, e.resource.name ?? e.resource.id] as const] : [])));
}

export interface AppointmentResource {
  id: string;
  status: string;
  start?: string;
  description?: string;
  participant?: { actor?: { reference?: string; display?: string } }[];
}

export async function myAppointments(patientId: string): Promise<AppointmentResource[]> {
  const bundle = await fhir<{ entry?: { resource?: AppointmentResource }[] }>(`Appointment?patient=Patient/${encodeURIComponent(patientId)}&_sort=date&_count=100`);
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}
