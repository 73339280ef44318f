/**
 * PV1 in orders and results → the visit's Encounter (JAMI: PV1 → Encounter in OML-11, OMP-01, OMP-12), which their
 * resources name; created only where the ADT messages have not written it, under the key they use.
 */
import type { DiagnosticReport, Encounter, MedicationAdministration, MedicationRequest, Observation, Patient, ServiceRequest } from '@medplum/fhirtypes';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { entryFor, FACILITY, mapSample, resourcesOf, sampleText, setField, withSegment } from './helpers';

const ENCOUNTER_SYSTEM = 'urn:tonet:encounter:1312345670';

test('OML-11 (an outpatient lab result): one Encounter for the day of the specimen (SPM-17), named by the report, its results and the order', () => {
  const { bundle } = mapSample('OML-11');
  const encounters = resourcesOf<Encounter>(bundle, 'Encounter');
  expect(encounters).toHaveLength(1);
  const [visit] = encounters;
  expect(visit).toMatchObject({
    identifier: [{ system: ENCOUNTER_SYSTEM, value: '0001000052:day:20111219' }],
    status: 'unknown',
    class: { code: 'AMB' },
    location: [{ location: { identifier: { value: '01' } } }],
  });
  expect(entryFor(bundle, visit).request).toEqual({ method: 'POST', url: 'Encounter', ifNoneExist: `identifier=${encodeURIComponent(ENCOUNTER_SYSTEM)}|${encodeURIComponent('0001000052:day:20111219')}` });
  const visitUrl = entryFor(bundle, visit).fullUrl;
  const named = [...resourcesOf<Observation>(bundle, 'Observation'), ...resourcesOf<DiagnosticReport>(bundle, 'DiagnosticReport'), ...resourcesOf<ServiceRequest>(bundle, 'ServiceRequest')];
  expect(named.length).toBeGreaterThan(3);
  expect(named.map((resource) => resource.encounter?.reference)).toEqual(named.map(() => visitUrl));
});

test('an inpatient order names the stay as the ADT messages do; a visit number wins; an order without PV1 names none', () => {
  const injection = mapSample('OMP-02');
  const [stay] = resourcesOf<Encounter>(injection.bundle, 'Encounter');
  const admission = resourcesOf<Encounter>(mapSample('ADT-22').bundle, 'Encounter')[0];
  // The same key as the admission's (PV1-2 I, no PV1-19), for this message's patient.
  const patientId = resourcesOf<Patient>(injection.bundle, 'Patient')[0].identifier?.[0].value;
  expect(stay.identifier).toEqual([{ system: admission.identifier?.[0].system, value: admission.identifier?.[0].value?.replace('9999013', patientId!) }]);
  expect(stay.identifier?.[0].value).toBe(`${patientId}:stay:open`);
  expect(stay.participant?.[0].individual?.display).toBe('医師 一郎');
  expect(resourcesOf<MedicationRequest>(injection.bundle, 'MedicationRequest').every((request) => request.encounter?.reference === entryFor(injection.bundle, stay).fullUrl)).toBe(true);

  const numbered = mapHl7v2(withSegment(sampleText('OMP-12'), 'PV1', 1, (line) => setField(line, 19, 'V77')), FACILITY);
  const [visit] = resourcesOf<Encounter>(numbered.bundle, 'Encounter');
  expect(visit.identifier?.[0].value).toMatch(/:visit:V77$/);
  expect(resourcesOf<MedicationAdministration>(numbered.bundle, 'MedicationAdministration').map((administration) => administration.context?.reference)).toEqual(
    resourcesOf(numbered.bundle, 'MedicationAdministration').map(() => entryFor(numbered.bundle, visit).fullUrl)
  );

  const withoutVisit = mapHl7v2(withSegment(sampleText('OML-11'), 'PV1', 1, () => ''), FACILITY);
  expect(resourcesOf(withoutVisit.bundle, 'Encounter')).toEqual([]);
  expect(resourcesOf<Observation>(withoutVisit.bundle, 'Observation').every((observation) => observation.encounter === undefined)).toBe(true);
});
