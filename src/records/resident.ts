/**
 * What residents keep themselves (as in the original network): body height, weight and blood pressure as
 * FHIR vital-sign Observations with the resident as performer, and the emergency information (contacts,
 * allergies in their own words, family doctor, notes) as one Basic resource they keep up to date.
 */
import type { Basic, Extension, Observation, ObservationComponent, Quantity, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import { EMERGENCY_INFO_CODE, FAMILY_DOCTOR_EXTENSION } from '../consent-workflows/emergency';
import { badRequest } from '../core/errors';
import type { FhirRouter, Query } from '../fhir/router';
import { assertMayStart } from '../consent/interactions';

export const EMERGENCY_CONTACT_EXTENSION = 'urn:tonet:extension:emergency-contact';
export const EMERGENCY_NOTE_EXTENSION = 'urn:tonet:extension:emergency-note';
export const ALLERGY_NOTE_EXTENSION = 'urn:tonet:extension:allergy-note';

const VITAL_SIGNS = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }];
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

export interface Vitals {
  at?: Date;
  height?: number;
  weight?: number;
  systolic?: number;
  diastolic?: number;
}

export interface EmergencyInfo {
  contacts?: { name: string; relationship?: string; phone: string }[];
  allergies?: string[];
  familyDoctor?: string;
  notes?: string;
}

export class ResidentRecords {
  constructor(private readonly router: FhirRouter) {}

  /** The Observations for what was measured; BMI too when height and weight come together. */
  async recordVitals(ctx: RequestContext, vitals: Vitals): Promise<Observation[]> {
    const patient = residentPatient(ctx);
    const at = (vitals.at ?? new Date()).toISOString();
    const base = { resourceType: 'Observation' as const, status: 'final' as const, category: VITAL_SIGNS, subject: { reference: patient }, performer: [{ reference: patient }], effectiveDateTime: at };
    const observations: Observation[] = [];
    if (vitals.height !== undefined) observations.push({ ...base, code: loinc('8302-2', 'Body height', '身長'), valueQuantity: quantity(vitals.height, 'cm') });
    if (vitals.weight !== undefined) observations.push({ ...base, code: loinc('29463-7', 'Body weight', '体重'), valueQuantity: quantity(vitals.weight, 'kg') });
    if (vitals.height !== undefined && vitals.weight !== undefined) {
      const bmi = Math.round((vitals.weight / (vitals.height / 100) ** 2) * 10) / 10;
      observations.push({ ...base, code: loinc('39156-5', 'Body mass index (BMI) [Ratio]', 'BMI'), valueQuantity: quantity(bmi, 'kg/m2') });
    }
    if ((vitals.systolic === undefined) !== (vitals.diastolic === undefined)) throw badRequest('Blood pressure needs both systolic and diastolic');
    if (vitals.systolic !== undefined && vitals.diastolic !== undefined) {
      const component: ObservationComponent[] = [
        { code: loinc('8480-6', 'Systolic blood pressure', '収縮期血圧'), valueQuantity: quantity(vitals.systolic, 'mm[Hg]') },
        { code: loinc('8462-4', 'Diastolic blood pressure', '拡張期血圧'), valueQuantity: quantity(vitals.diastolic, 'mm[Hg]') },
      ];
      observations.push({ ...base, code: loinc('85354-9', 'Blood pressure panel with all children optional', '血圧'), component });
    }
    if (!observations.length) throw badRequest('Give at least one of height, weight, or systolic and diastolic');
    const stored: Observation[] = [];
    for (const observation of observations) stored.push((await this.router.handle(ctx, { method: 'POST', path: 'Observation', query: {}, body: observation })).resource as Observation);
    return stored;
  }

  /** Creates or replaces the resident's one emergency-information Basic. */
  async updateEmergencyInfo(ctx: RequestContext, info: EmergencyInfo): Promise<Basic> {
    const patient = residentPatient(ctx);
    if (info.familyDoctor !== undefined && !/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(info.familyDoctor)) throw badRequest('familyDoctor must be "Organization/<id>"');
    const extension: Extension[] = [
      ...(info.contacts ?? []).map((c) => ({
        url: EMERGENCY_CONTACT_EXTENSION,
        extension: [{ url: 'name', valueString: c.name }, ...(c.relationship ? [{ url: 'relationship', valueString: c.relationship }] : []), { url: 'phone', valueString: c.phone }],
      })),
      ...(info.allergies ?? []).map((a) => ({ url: ALLERGY_NOTE_EXTENSION, valueString: a })),
      ...(info.familyDoctor ? [{ url: FAMILY_DOCTOR_EXTENSION, valueReference: { reference: info.familyDoctor } }] : []),
      ...(info.notes ? [{ url: EMERGENCY_NOTE_EXTENSION, valueString: info.notes }] : []),
    ];
    const basic: Basic = { resourceType: 'Basic', code: { coding: [EMERGENCY_INFO_CODE] }, subject: { reference: patient }, author: { reference: patient }, created: new Date().toISOString().slice(0, 10), extension };
    const query = `subject=${patient}&code=${EMERGENCY_INFO_CODE.system}|${EMERGENCY_INFO_CODE.code}`;
    const answer = await this.router.handle(ctx, { method: 'PUT', path: 'Basic', query: Object.fromEntries(new URLSearchParams(query)) as Query, body: basic });
    return answer.resource as Basic;
  }

  async emergencyInfo(ctx: RequestContext, patientId: string): Promise<Basic | undefined> {
    return (await this.search(ctx, 'Basic', { subject: `Patient/${patientId}`, code: `${EMERGENCY_INFO_CODE.system}|${EMERGENCY_INFO_CODE.code}` }))[0] as Basic | undefined;
  }

  async search(ctx: RequestContext, type: string, query: Query): Promise<Resource[]> {
    const answer = await this.router.handle(ctx, { method: 'GET', path: type, query: { _count: '200', ...query } });
    const bundle = answer.resource as { entry?: { resource: Resource; search?: { mode?: string } }[] };
    return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource);
  }
}

export function residentPatient(ctx: RequestContext): string {
  assertMayStart(ctx, 'resident-record');
  return ctx.patient as string;
}

function loinc(code: string, display: string, text: string) {
  return { coding: [{ system: LOINC, code, display }], text };
}

function quantity(value: number, unit: string): Quantity {
  return { value, unit, system: UCUM, code: unit };
}
