/** Patient look-ups for the desk: FHIR searches and the regional record a facility's own record is linked to. */
import { fhir, graphql } from '../api/client';

/** The card number as printed; Tonet stores only its digest, so the number is shown only where the server returns it. */
export const CARD_NUMBER_SYSTEM = 'urn:tonet:card-number';

export interface PatientResource {
  resourceType: 'Patient';
  id: string;
  identifier?: { system?: string; value?: string }[];
  name?: { family?: string; given?: string[]; text?: string; extension?: unknown[] }[];
  birthDate?: string;
  gender?: string;
  link?: { other?: { reference?: string }; type?: string }[];
}

interface Bundle<T> {
  entry?: { resource?: T }[];
}

export interface PatientQuery {
  facilityPatientId?: string;
  name?: string;
  birthDate?: string;
}

export function searchParameters(query: PatientQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.facilityPatientId) params.set('identifier', query.facilityPatientId);
  if (query.name) params.set('name', query.name);
  if (query.birthDate) params.set('birthdate', query.birthDate);
  params.set('_count', '20');
  return params;
}

/** One row per resident: the facilities' own records of a resident fold into the regional Patient they link to. */
export async function searchPatients(query: PatientQuery): Promise<PatientResource[]> {
  const bundle = await fhir<Bundle<PatientResource>>(`Patient?${searchParameters(query)}`);
  const byResident = new Map<string, PatientResource>();
  for (const patient of (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []))) {
    const regionalId = regionalIdOf(patient);
    if (!byResident.has(regionalId) || patient.id === regionalId) byResident.set(regionalId, patient);
  }
  return [...byResident.values()];
}

/** The regional Patient behind a result: a facility's record points to it with a see-also link. */
export function regionalIdOf(patient: PatientResource): string {
  const regional = patient.link?.find((l) => l.type === 'seealso')?.other?.reference;
  return regional?.startsWith('Patient/') ? regional.slice('Patient/'.length) : patient.id;
}

export function displayName(patient: PatientResource): string {
  const name = patient.name?.[0];
  if (!name) return patient.id;
  return name.text ?? [name.family, ...(name.given ?? [])].filter(Boolean).join(' ');
}

export function cardNumberOf(patient: PatientResource): string | undefined {
  return patient.identifier?.find((i) => i.system === CARD_NUMBER_SYSTEM)?.value;
}

export interface PrintedCard {
  cardNumber: string;
  cardSecret: string;
}

export async function linkCard(card: PrintedCard, localId: string, birthDate: string): Promise<PatientResource> {
  const data = await graphql<{ linkCard: { patient: PatientResource } }>(
    `mutation($card: String!, $secret: String!, $local: String!, $birth: String!) { linkCard(cardNumber: $card, cardSecret: $secret, localId: $local, birthDate: $birth) { patient } }`,
    { card: card.cardNumber, secret: card.cardSecret, local: localId, birth: birthDate }
  );
  return data.linkCard.patient;
}
