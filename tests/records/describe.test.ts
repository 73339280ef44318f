/** Titles of timeline and chart entries (src/records/describe.ts), as a clinician reads them in a list. */
import type { Encounter, Observation } from '@medplum/fhirtypes';
import { titleOf } from '../../src/records/describe';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const visit = (extra: Partial<Encounter>): Encounter => ({ resourceType: 'Encounter', status: 'finished', class: { system: ACT_CODE, code: 'AMB' }, ...extra });

test('a visit without a type is named by its class: the display when sent, else the class in words, else its code', () => {
  expect(titleOf(visit({}))).toBe('外来');
  expect(titleOf(visit({ class: { system: ACT_CODE, code: 'IMP' } }))).toBe('入院');
  expect(titleOf(visit({ class: { system: ACT_CODE, code: 'EMER', display: '救急外来' } }))).toBe('救急外来');
  expect(titleOf(visit({ class: { system: ACT_CODE, code: 'PRENC' } }))).toBe('PRENC');
});

test('a visit with a type is named by it', () => {
  expect(titleOf(visit({ type: [{ text: '再診' }] }))).toBe('再診');
});

test('an Observation is named by its code as before', () => {
  const hba1c: Observation = { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'urn:oid:1.2.392.200119.4.504', code: '3D046000001906202', display: 'HbA1c' }] } };
  expect(titleOf(hba1c)).toBe('HbA1c');
});
