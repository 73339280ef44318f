/**
 * A region for booking tests: a core hospital that publishes a CT scanner (Device + HealthcareService with
 * opening hours + Schedule), clinics with their own patients, and helpers to book as any of them.
 */
import { JJ1017_SYSTEM, MODALITY_SYSTEM } from '../../src/booking/model';
import { as, Answer, facility, Facility, parameters } from '../consent/support';
import type { TestServer } from '../support/server';

export type Caller = ReturnType<typeof as>;

/** A Monday to Friday week well in the future, so no slot is ever in the past. */
export const WEEK = { from: '2030-01-07', to: '2030-01-11' };

export const HEAD_CT = { system: JJ1017_SYSTEM, code: '2A1100000000000000', display: '頭部単純CT' };

export interface Scanner {
  device: string;
  service: string;
  schedule: string;
}

/** The hospital publishes a scanner open on weekdays 09:00–12:00 and 13:00–17:00, with one blocked morning. */
export async function publishScanner(hospitalStaff: Caller, hospital: Facility, modality: 'CT' | 'MR', name: string): Promise<Scanner> {
  const device = await created(hospitalStaff.post('/fhir/Device', {
    resourceType: 'Device',
    status: 'active',
    deviceName: [{ name, type: 'user-friendly-name' }],
    type: { coding: [{ system: MODALITY_SYSTEM, code: modality }] },
    owner: { reference: hospital.reference },
  }));
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
  const service = await created(hospitalStaff.post('/fhir/HealthcareService', {
    resourceType: 'HealthcareService',
    active: true,
    providedBy: { reference: hospital.reference },
    name: `${name} 共同利用 (shared use)`,
    type: [{ text: `${modality} scan` }],
    availableTime: [
      { daysOfWeek: weekdays, availableStartTime: '09:00:00', availableEndTime: '12:00:00' },
      { daysOfWeek: weekdays, availableStartTime: '13:00:00', availableEndTime: '17:00:00' },
    ],
    notAvailable: [{ description: '装置点検 (maintenance)', during: { start: '2030-01-09T09:00:00+09:00', end: '2030-01-09T12:00:00+09:00' } }],
  }));
  const schedule = await created(hospitalStaff.post('/fhir/Schedule', {
    resourceType: 'Schedule',
    active: true,
    serviceType: [{ text: `${modality} scan` }],
    actor: [{ reference: device }, { reference: service }],
  }));
  return { device, service, schedule };
}

export async function created(answer: Promise<Answer>): Promise<string> {
  const { status, body } = await answer;
  if (status !== 201) throw new Error(`expected 201, got ${status}: ${JSON.stringify(body)}`);
  return `${body.resourceType}/${body.id}`;
}

export async function clinicWithPatient(server: TestServer, code: string, name: string): Promise<{ clinic: Facility; doctor: Caller; patient: string }> {
  const clinic = await facility(server, code, 'clinic', name);
  const doctor = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  const patient = await created(doctor.post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '患者', given: [code.slice(-3)] }], birthDate: '1950-05-05' }));
  return { clinic, doctor, patient };
}

export function referral(extra: Record<string, unknown> = {}) {
  return { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/placeholder' }, code: { coding: [HEAD_CT] }, reasonCode: [{ text: '頭痛精査 (headache work-up)' }], ...extra };
}

export function book(doctor: Caller, slot: string, patient: string, serviceRequest: Record<string, unknown> = referral()): Promise<Answer> {
  return doctor.post('/fhir/Appointment/$book', parameters({ slot, patient, serviceRequest: { ...serviceRequest, subject: { reference: patient } } }));
}

/** Free slots of a scanner by the chained search a clinic would use. */
export async function freeSlots(doctor: Caller, scanner: Scanner, from = `${WEEK.from}T00:00:00+09:00`): Promise<string[]> {
  return doctor.ids(`/fhir/Slot?schedule.actor=${scanner.device}&status=free&start=${encodeURIComponent(`ge${from}`)}&_sort=start&_count=1000`, 'Slot');
}
