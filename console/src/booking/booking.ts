/** Exam booking over GraphQL: hospitals with scanners, free slots of a week, booking with a referral, bookings. */
import { fhir, graphql } from '../api/client';

export interface FreeSlot {
  slotId: string;
  start: string;
  end: string;
  deviceName?: string;
}

export type BookingState = 'proposed' | 'booked' | 'cancelled';

export interface Booking {
  appointmentId: string;
  state: BookingState;
  start: string;
  hospital?: string;
  clinic?: string;
  procedureDisplay?: string;
  appointment?: { participant?: { actor?: { reference?: string } }[] };
}

export interface Referral {
  procedureCode: string;
  procedureDisplay: string;
  reason?: string;
  note?: string;
}

export const MODALITIES = ['CT', 'MR'] as const;
export type Modality = (typeof MODALITIES)[number];

/** Common JJ1017 procedures a clinic asks for, by modality (the code list is the JIRA/JAHIS one). */
export const PROCEDURES: Record<Modality, { code: string; display: string }[]> = {
  CT: [
    { code: '2A1100000000000000', display: '頭部単純CT' },
    { code: '2A4100000000000000', display: '胸部単純CT' },
    { code: '2A6100000000000000', display: '腹部単純CT' },
  ],
  MR: [
    { code: '3A1100000000000000', display: '頭部単純MRI' },
    { code: '3A8100000000000000', display: '腰椎単純MRI' },
  ],
};

export interface Hospital {
  reference: string;
  name: string;
}

export async function coreHospitals(): Promise<Hospital[]> {
  const bundle = await fhir<{ entry?: { resource?: { id: string; name?: string } }[] }>('Organization?type=urn:tonet:facility-type|core-hospital&_count=100');
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [{ reference: `Organization/${e.resource.id}`, name: e.resource.name ?? e.resource.id }] : []));
}

export async function freeSlots(hospital: string, modality: Modality, from: Date, to: Date): Promise<FreeSlot[]> {
  const data = await graphql<{ freeSlots: FreeSlot[] }>(
    `query($h: ID!, $m: String!, $from: DateTime!, $to: DateTime!) { freeSlots(hospital: $h, modality: $m, from: $from, to: $to) { slotId start end deviceName } }`,
    { h: hospital, m: modality, from: from.toISOString(), to: to.toISOString() }
  );
  return data.freeSlots;
}

const BOOKING_FIELDS = 'appointmentId state start hospital clinic procedureDisplay appointment';

export async function bookExam(slotId: string, patientId: string, referral: Referral): Promise<Booking> {
  const data = await graphql<{ bookExam: Booking }>(
    `mutation($slot: ID!, $patient: ID!, $referral: ExamReferralInput!) { bookExam(slotId: $slot, patientId: $patient, referral: $referral) { ${BOOKING_FIELDS} } }`,
    { slot: slotId, patient: patientId, referral }
  );
  return data.bookExam;
}

export async function facilityBookings(facility: string): Promise<Booking[]> {
  return (await graphql<{ myBookings: Booking[] }>(`query($f: ID!) { myBookings(facility: $f) { ${BOOKING_FIELDS} } }`, { f: facility })).myBookings;
}

export async function confirmBooking(appointmentId: string): Promise<Booking> {
  return (await graphql<{ confirmBooking: Booking }>(`mutation($id: ID!) { confirmBooking(appointmentId: $id) { ${BOOKING_FIELDS} } }`, { id: appointmentId })).confirmBooking;
}

/** Monday 00:00 (browser time) of the week holding `day`, and the seven days from it. */
export function weekOf(day: Date): Date[] {
  const monday = new Date(day.getFullYear(), day.getMonth(), day.getDate() - ((day.getDay() + 6) % 7));
  return Array.from({ length: 7 }, (_, i) => new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + i));
}

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}
