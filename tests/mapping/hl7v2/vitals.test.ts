/**
 * Extended storage's vital signs (ORU^R01 whose every OBX is a vital sign or body measurement, and ORU^R30) → one
 * Observation per item under JP_Observation_VitalSigns or JP_Observation_BodyMeasurement, both category slices set,
 * LOINC beside a JLAC10 code; other ORU^R01 stay physiology results (OMG-13).
 */
import type { Observation } from '@medplum/fhirtypes';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { errorsOf, FACILITY, goldenText, mapSample, resourcesOf, setField, withSegment } from './helpers';

const JP = 'http://jpfhir.jp/fhir/core/StructureDefinition/';
const SIMPLE = 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS';

const byCode = (observations: Observation[], code: string) => observations.find((observation) => observation.code.coding?.[0].code === code)!;

test('blood pressure, pulse, temperature, SpO2 and weight: profile, both category slices, LOINC, UCUM, time', () => {
  const result = mapHl7v2(goldenText('VITAL-SIGNS'), FACILITY);
  expect(result.dataType).toBe('VITAL-SIGNS');
  expect(errorsOf(result)).toEqual([]);
  const observations = resourcesOf<Observation>(result.bundle, 'Observation');
  expect(observations.map((observation) => [observation.meta?.profile?.[0].replace(JP, ''), observation.category?.[0].coding?.[0].code, observation.category?.[1].coding?.[0].code])).toEqual([
    ['JP_Observation_VitalSigns', 'vital-signs', 'blood-pressure'],
    ['JP_Observation_VitalSigns', 'vital-signs', 'blood-pressure'],
    ['JP_Observation_VitalSigns', 'vital-signs', 'pulse-rate'],
    ['JP_Observation_VitalSigns', 'vital-signs', 'temperature'],
    ['JP_Observation_VitalSigns', 'vital-signs', 'respiratory-function'],
    ['JP_Observation_BodyMeasurement', 'body-measurement', 'weight'],
  ]);
  expect(observations.every((observation) => observation.category?.[0].coding?.[0].system === SIMPLE)).toBe(true);
  const systolic = byCode(observations, '8480-6');
  expect(systolic.code.coding).toEqual([{ system: 'http://loinc.org', code: '8480-6', display: '収縮期血圧' }]);
  expect(systolic).toMatchObject({ valueQuantity: { value: 142, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }, interpretation: [{ coding: [{ code: 'H' }] }], effectiveDateTime: '2011-12-20T09:00:00+09:00', status: 'final' });
  expect(byCode(observations, '8310-5').valueQuantity).toEqual({ value: 37.2, unit: '℃', system: 'http://unitsofmeasure.org', code: 'Cel' });
  const weight = byCode(observations, '9N006000000000001');
  // JLAC10 as sent, LOINC beside it; no OBX-14, so the time of the request (OBR-7).
  expect(weight.code.coding?.map((coding) => coding.code)).toEqual(['9N006000000000001', '29463-7']);
  expect(weight.effectiveDateTime).toBe('2011-12-20T09:00:00+09:00');
  // The same item at the same time is the same Observation, whoever sends it again.
  expect(systolic.identifier).toEqual([{ system: 'urn:tonet:observation:1312345670', value: '9999013:vital:8480-6:201112200900' }]);
});

test('ORU^R30 is vital signs; an ORU^R01 with an item that is no measurement stays a physiology result', () => {
  const unsolicited = mapHl7v2(withSegment(goldenText('VITAL-SIGNS'), 'MSH', 1, (line) => setField(line, 9, 'ORU^R30^ORU_R30')), FACILITY);
  expect(unsolicited.dataType).toBe('VITAL-SIGNS');
  expect(mapSample('OMG-13').dataType).toBe('OMG-13');
  const mixed = mapHl7v2(withSegment(goldenText('VITAL-SIGNS'), 'OBX', 3, (line) => setField(line, 3, '9A110160800000049^心拍数^JC10')), FACILITY);
  expect(mixed.dataType).toBe('OMG-13');
});
