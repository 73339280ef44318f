/**
 * The words of Tonet's consent model, as FHIR codes: facility types, the two kinds of Consent
 * (network enrolment, one facility's access), the かかりつけ医カード number and the emergency purpose.
 */
import { randomInt } from 'node:crypto';
import type { Coding } from '@medplum/fhirtypes';

/** Organization.type coding that says what a facility is; the code decides what it may do. */
export const FACILITY_TYPE_SYSTEM = 'urn:tonet:facility-type';
export const FACILITY_TYPES = ['core-hospital', 'clinic', 'lab', 'pharmacy', 'emergency', 'network-office'] as const;
/** Facility types whose clinicians may declare emergency treatment (ETREAT): those that receive emergencies. */
export const EMERGENCY_CAPABLE_TYPES: readonly string[] = ['core-hospital', 'emergency'];

/** Consent.category: which of Tonet's two consents a Consent resource is. */
export const CONSENT_KIND_SYSTEM = 'urn:tonet:consent-kind';
export const ENROLMENT: Coding = { system: CONSENT_KIND_SYSTEM, code: 'network-enrolment', display: 'とねっと参加同意' };
export const FACILITY_ACCESS: Coding = { system: CONSENT_KIND_SYSTEM, code: 'facility-access', display: '施設別閲覧同意 (かかりつけ医カード提示)' };
export const PATIENT_CONSENT_LOINC: Coding = { system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' };
export const PRIVACY_SCOPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' };
export const EMERGENCY_PURPOSE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT', display: 'Emergency Treatment' };

/** Patient.identifier system of the regional card number (かかりつけ医カード番号). */
export const CARD_SYSTEM = 'urn:tonet:card-number';

export { COMPARTMENT_EXTENSION } from '../core/compartments';

/** Card numbers: 11 random digits and a Luhn check digit, so a mistyped digit is caught at the desk. */
export function newCardNumber(): string {
  let digits = String(randomInt(1, 10));
  for (let i = 0; i < 10; i++) digits += String(randomInt(0, 10));
  return digits + luhnDigit(digits);
}

export function isValidCardNumber(value: string): boolean {
  return /^\d{12}$/.test(value) && luhnDigit(value.slice(0, 11)) === value[11];
}

function luhnDigit(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}
