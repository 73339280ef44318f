import type { AllergyIntolerance, Coverage, Encounter, Observation, Patient } from '@medplum/fhirtypes';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { entryFor, errorsOf, FACILITY, goldenText, mapSample, PATIENT_SYSTEM, resourcesOf, sampleText, setField, withSegment, mappingIssues } from './helpers';

const JP = 'http://jpfhir.jp/fhir/core/StructureDefinition/';
const REPRESENTATION = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

describe('ADT-00 (ADT^A08)', () => {
  const result = mapSample('ADT-00');
  const bundle = result.bundle;

  test('is recognised and accepted', () => {
    expect(result.messageType).toBe('ADT^A08^ADT_A01');
    expect(result.dataType).toBe('ADT-00');
    expect(result.messageControlId).toBe('20111220000001');
    expect(mappingIssues(result)).toEqual([]);
    expect(bundle.type).toBe('transaction');
  });

  test('PID → Patient with kanji and kana names, address, phones, birth date and sex', () => {
    const [patient] = resourcesOf<Patient>(bundle, 'Patient');
    expect(patient.meta?.profile).toEqual([`${JP}JP_Patient`]);
    expect(patient.identifier).toEqual([{ system: PATIENT_SYSTEM, value: '9999013' }]);
    expect(patient.name).toEqual([
      { extension: [{ url: REPRESENTATION, valueCode: 'IDE' }], use: 'usual', text: '患者 太郎', family: '患者', given: ['太郎'] },
      { extension: [{ url: REPRESENTATION, valueCode: 'SYL' }], use: 'usual', text: 'カンジャ タロウ', family: 'カンジャ', given: ['タロウ'] },
    ]);
    expect(patient.birthDate).toBe('1948-04-05');
    expect(patient.gender).toBe('male');
    expect(patient.address).toEqual([{ use: 'home', text: '静岡県静岡市登呂１－３－５', postalCode: '422-8033', country: 'JPN' }]);
    expect(patient.telecom).toEqual([
      { system: 'phone', value: '054-000-0000', use: 'home' },
      { system: 'phone', value: '03-5999-9999' },
      { system: 'phone', value: '03-3599-9993', use: 'work' },
    ]);
    expect(patient.contact?.[0].relationship?.[0].coding).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/v2-0063', code: 'SEL', display: '本人' }]);
    expect(patient.contact?.[0].organization?.display).toBe('鹿ノ門商事株式会社');
    expect(entryFor(bundle, patient).request).toEqual({ method: 'PUT', url: `Patient?identifier=${encodeURIComponent(PATIENT_SYSTEM)}|9999013` });
  });

  test('height and weight OBX → body-measurement Observations with both JP Core category slices, JLAC10, LOINC and UCUM', () => {
    const observations = resourcesOf<Observation>(bundle, 'Observation');
    const height = observations.find((observation) => observation.code.coding?.[0].code === '9N001000000000001')!;
    const weight = observations.find((observation) => observation.code.coding?.[0].code === '9N006000000000001')!;
    expect(height.meta?.profile).toEqual([`${JP}JP_Observation_BodyMeasurement`]);
    expect(height.category).toEqual([
      { coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS', code: 'body-measurement' }] },
      { coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationBodyMeasurementCategory_CS', code: 'height' }] },
    ]);
    expect(weight.category?.[1].coding?.[0].code).toBe('weight');
    expect(height.code.coding).toEqual([
      { system: 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits', code: '9N001000000000001', display: '身長' },
      { system: 'http://loinc.org', code: '8302-2', display: 'Body height' },
    ]);
    expect(height.valueQuantity).toEqual({ value: 167.8, unit: 'cm', system: 'http://unitsofmeasure.org', code: 'cm' });
    expect(height.status).toBe('final');
    expect(weight.valueQuantity).toEqual({ value: 63.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });
    expect(weight.code.coding?.[1].code).toBe('29463-7');
    const [patient] = resourcesOf<Patient>(bundle, 'Patient');
    expect(height.subject?.reference).toBe(entryFor(bundle, patient).fullUrl);
  });

  test('ABO blood type OBX → Observation with a coded value', () => {
    const bloodType = resourcesOf<Observation>(bundle, 'Observation').find((observation) => observation.code.coding?.[0].code === '5H010000009199911')!;
    expect(bloodType.code.text).toBe('血液型-ABO式');
    expect(bloodType.meta?.profile).toEqual([`${JP}JP_Observation_Common`]);
    expect(bloodType.valueCodeableConcept).toEqual({ coding: [{ system: 'urn:tonet:v2-system:JSHR002', code: 'A', display: 'A' }], text: 'A' });
  });

  test('AL1 → AllergyIntolerance keeping the local allergen code', () => {
    const [allergy] = resourcesOf<AllergyIntolerance>(bundle, 'AllergyIntolerance');
    expect(allergy.category).toEqual(['medication']);
    expect(allergy.code).toEqual({ coding: [{ system: 'urn:tonet:local:1312345670:99XYZ', code: '1', display: 'ペニシリン' }], text: 'ペニシリン' });
    expect(allergy.clinicalStatus?.coding?.[0].code).toBe('active');
    expect(allergy.identifier?.[0]).toEqual({ system: 'urn:tonet:allergy:1312345670', value: '9999013:99XYZ:1' });
  });

  test('IN1 → Coverage with plan, insurer number and relationship', () => {
    const [coverage] = resourcesOf<Coverage>(bundle, 'Coverage');
    expect(coverage.meta?.profile).toEqual([`${JP}JP_Coverage`]);
    expect(coverage.status).toBe('active');
    expect(coverage.type).toEqual({ coding: [{ system: 'urn:tonet:v2-system:JHSD0001', code: '67', display: '国民健康保険退職者' }], text: '国民健康保険退職者' });
    expect(coverage.payor).toEqual([{ identifier: { system: 'http://jpfhir.jp/fhir/core/mhlw/IdSystem/InsurerNumber', value: '67999991' }, type: 'Organization' }]);
    expect(coverage.period).toEqual({ start: '2009-12-01' });
    expect(coverage.relationship?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v2-0063', code: 'SEL', display: '本人' });
  });

  test('ADT^A23 deletes the patient with a conditional DELETE', () => {
    const deleted = mapHl7v2(withSegment(sampleText('ADT-00'), 'MSH', 1, (line) => setField(line, 9, 'ADT^A23^ADT_A21')), FACILITY);
    expect(errorsOf(deleted)).toEqual([]);
    const requests = deleted.bundle.entry?.map((entry) => entry.request);
    expect(requests).toContainEqual({ method: 'DELETE', url: `Patient?identifier=${encodeURIComponent(PATIENT_SYSTEM)}|9999013` });
    expect(requests?.filter((request) => request?.method === 'DELETE').length).toBe(3);
  });

  test('missing birth date rejects ADT-00 with a located 101 error', () => {
    const missing = mapHl7v2(withSegment(sampleText('ADT-00'), 'PID', 1, (line) => setField(line, 7, '')), FACILITY);
    expect(errorsOf(missing)).toEqual([expect.objectContaining({ code: '101', segment: 'PID', segmentSequence: 1, field: 7 })]);
    expect(missing.bundle.entry).toEqual([]);
  });
});

describe('ADT encounter events', () => {
  test('ADT-22 (A01 admission) → in-patient Encounter: without a visit number, the patient\'s open stay', () => {
    const result = mapSample('ADT-22');
    expect(result.dataType).toBe('ADT-22');
    expect(mappingIssues(result)).toEqual([]);
    const [encounter] = resourcesOf<Encounter>(result.bundle, 'Encounter');
    expect(encounter.meta?.profile).toEqual([`${JP}JP_Encounter`]);
    expect(encounter.identifier?.[0]).toEqual({ system: 'urn:tonet:encounter:1312345670', value: '9999013:stay:open' });
    expect(encounter.status).toBe('arrived');
    expect(encounter.class).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' });
    expect(encounter.period).toEqual({ start: '2011-11-20T16:00:00+09:00' });
    expect(encounter.location?.[0]).toEqual({
      location: { type: 'Location', identifier: { system: 'urn:tonet:location:1312345670', value: '32^302^1' }, display: '32 302 1' },
      status: 'active',
      period: { start: '2011-11-20T16:00:00+09:00' },
    });
    expect(encounter.participant?.map((participant) => [participant.type?.[0].coding?.[0].code, participant.individual?.display])).toEqual([
      ['ATND', '医師一郎'],
      ['ADM', '医師一郎'],
    ]);
    const [patient] = resourcesOf<Patient>(result.bundle, 'Patient');
    expect(entryFor(result.bundle, patient).request).toEqual({ method: 'POST', url: 'Patient', ifNoneExist: `identifier=${encodeURIComponent(PATIENT_SYSTEM)}|9999013` });
    expect(patient.birthDate).toBe('1948-04-05');
    expect(patient.address).toBeUndefined();
  });

  test('ADT-42 (A02 transfer) → in-progress Encounter at the new ward from EVN-6', () => {
    const result = mapSample('ADT-42');
    expect(result.dataType).toBe('ADT-42');
    const [encounter] = resourcesOf<Encounter>(result.bundle, 'Encounter');
    expect(encounter.status).toBe('in-progress');
    expect(encounter.location?.[0].location.identifier?.value).toBe('32^305^1');
    expect(encounter.location?.[0].period).toEqual({ start: '2011-12-20T20:00:00+09:00' });
    expect(encounter.serviceType?.coding?.[0]).toEqual({ system: 'http://jami.jp/SS-MIX2/CodeSystem/ClinicalDepartment', code: '10' });
    expect(encounter.identifier?.[0].value).toBe('9999013:stay:open');
  });

  test('ADT-52 (A03 discharge) → finished Encounter with discharge time and disposition', () => {
    const result = mapSample('ADT-52');
    expect(result.dataType).toBe('ADT-52');
    const [encounter] = resourcesOf<Encounter>(result.bundle, 'Encounter');
    expect(encounter.status).toBe('finished');
    expect(encounter.period).toEqual({ end: '2011-12-20T12:00:00+09:00' });
    expect(encounter.location?.[0].status).toBe('completed');
    expect(encounter.location?.[0].period).toEqual({ end: '2011-12-20T12:00:00+09:00' });
    expect(encounter.hospitalization?.dischargeDisposition?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v2-0112', code: '01' });
  });

  test('admission, transfer and discharge without PV1-19 (and PV1-44 only in A01) write one Encounter; the discharge files it under its time', () => {
    const stay = (dataType: string) => {
      const { bundle } = mapSample(dataType);
      return entryFor(bundle, resourcesOf<Encounter>(bundle, 'Encounter')[0]);
    };
    const [admission, transfer, discharge] = ['ADT-22', 'ADT-42', 'ADT-52'].map(stay);
    const openStay = `Encounter?identifier=${encodeURIComponent('urn:tonet:encounter:1312345670')}|${encodeURIComponent('9999013:stay:open')}`;
    expect([admission.request?.url, transfer.request?.url, discharge.request?.url]).toEqual([openStay, openStay, openStay]);
    expect((discharge.resource as Encounter).identifier?.[0].value).toBe('9999013:stay:201112201200');
    // With a visit number the stay is named by it in every message, and the discharge keeps it.
    const visit = (dataType: string) => withSegment(sampleText(dataType), 'PV1', 1, (line) => setField(line, 19, 'V123'));
    const withVisit = ['ADT-22', 'ADT-52'].map((dataType) => resourcesOf<Encounter>(mapHl7v2(visit(dataType), FACILITY).bundle, 'Encounter')[0].identifier?.[0].value);
    expect(withVisit).toEqual(['9999013:visit:V123', '9999013:visit:V123']);
  });

  test('cancels revert the status: A11 cancels an admission, A13 reopens a discharge', () => {
    const cancelAdmit = mapHl7v2(withSegment(sampleText('ADT-22'), 'MSH', 1, (line) => setField(line, 9, 'ADT^A11^ADT_A09')), FACILITY);
    expect(cancelAdmit.dataType).toBe('ADT-22');
    const [cancelled] = resourcesOf<Encounter>(cancelAdmit.bundle, 'Encounter');
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.identifier).toEqual(resourcesOf<Encounter>(mapSample('ADT-22').bundle, 'Encounter')[0].identifier);
    const cancelDischarge = mapHl7v2(withSegment(sampleText('ADT-52'), 'MSH', 1, (line) => setField(line, 9, 'ADT^A13^ADT_A01')), FACILITY);
    const [reopened] = resourcesOf<Encounter>(cancelDischarge.bundle, 'Encounter');
    expect(reopened.status).toBe('in-progress');
    // The discharged stay (found by its discharge time) is the open stay again.
    expect(entryFor(cancelDischarge.bundle, reopened).request?.url).toBe(`Encounter?identifier=${encodeURIComponent('urn:tonet:encounter:1312345670')}|${encodeURIComponent('9999013:stay:201112201200')}`);
    expect(reopened.identifier?.[0].value).toBe('9999013:stay:open');
  });

  test('ADT-01: A54 names the new attending doctor from EVN-6 on the open stay; A55 writes back the doctor before it', () => {
    const attending = (name: string) => {
      const result = mapHl7v2(goldenText(name), FACILITY);
      expect(result.dataType).toBe('ADT-01');
      expect(errorsOf(result)).toEqual([]);
      const [encounter] = resourcesOf<Encounter>(result.bundle, 'Encounter');
      return { key: encounter.identifier?.[0].value, status: encounter.status, location: encounter.location?.[0].status, attending: encounter.participant?.filter((participant) => participant.type?.[0].coding?.[0].code === 'ATND') };
    };
    expect(attending('ADT-01')).toEqual({
      key: '9999013:stay:open',
      status: 'in-progress',
      location: 'active',
      attending: [{ type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND' }] }], period: { start: '2011-12-21T09:00:00+09:00' }, individual: { type: 'Practitioner', identifier: { system: 'urn:tonet:practitioner:1312345670', value: 'ishi02' }, display: '医師二郎' } }],
    });
    const cancelled = attending('ADT-01-A55');
    expect(cancelled).toMatchObject({ key: '9999013:stay:open', status: 'in-progress', location: 'active' });
    expect(cancelled.attending?.map((participant) => [participant.individual?.display, participant.period])).toEqual([['医師一郎', undefined]]);
  });

  test('ADT^A04 is outpatient registration (ADT-12)', () => {
    const text = withSegment(withSegment(sampleText('ADT-22'), 'MSH', 1, (line) => setField(line, 9, 'ADT^A04^ADT_A01')), 'PV1', 1, (line) => setField(line, 2, 'O'));
    const result = mapHl7v2(text, FACILITY);
    expect(result.dataType).toBe('ADT-12');
    const [encounter] = resourcesOf<Encounter>(result.bundle, 'Encounter');
    expect([encounter.status, encounter.class.code]).toEqual(['arrived', 'AMB']);
  });
});

describe('ADT-61 (ADT^A60 allergies)', () => {
  const result = mapSample('ADT-61');
  const allergies = resourcesOf<AllergyIntolerance>(result.bundle, 'AllergyIntolerance');

  test('IAM → one AllergyIntolerance per allergen with category, severity, reaction and onset', () => {
    expect(result.dataType).toBe('ADT-61');
    expect(mappingIssues(result)).toEqual([]);
    // The allergen codes are 15-character JLAC10 (no result-identification part), so they stay out of the 17-digit system.
    expect(allergies.map((allergy) => [allergy.category?.[0], allergy.code?.coding?.[0].system, allergy.code?.coding?.[0].code, allergy.code?.text])).toEqual([
      ['environment', 'urn:tonet:v2-system:JC10', '5A1002216023023', 'スギ'],
      ['food', 'urn:tonet:v2-system:JC10', '5A1002411023006', 'ソバ'],
      ['environment', 'urn:tonet:v2-system:JC10', '5A1102700023023', 'ハウスダスト'],
      ['medication', 'http://medis.or.jp/CodeSystem/master-HOT9', '106824501', 'アリナミン'],
    ]);
    expect(allergies[0].reaction).toEqual([{ description: '目のかゆみ', manifestation: [{ text: '目のかゆみ' }], severity: 'mild' }]);
    expect(allergies[3].reaction?.[0].severity).toBe('moderate');
    expect(allergies.map((allergy) => allergy.onsetDateTime ?? allergy.onsetString)).toEqual(['1996-01', '小学校低学年の頃', '2003-02', '2007-07-10']);
    expect(allergies.every((allergy) => allergy.clinicalStatus?.coding?.[0].code === 'active')).toBe(true);
    expect(allergies[0].meta?.profile).toEqual([`${JP}JP_AllergyIntolerance`]);
  });

  test('the patient is keyed by PID-3 of this message (12345678)', () => {
    const [patient] = resourcesOf<Patient>(result.bundle, 'Patient');
    expect(patient.identifier?.[0].value).toBe('12345678');
    expect(patient.name?.[0].family).toBe('山田');
    expect(allergies[0].patient.reference).toBe(entryFor(result.bundle, patient).fullUrl);
  });

  test('IAM-6 D deletes that allergy', () => {
    const text = withSegment(sampleText('ADT-61'), 'IAM', 4, (line) => setField(line, 6, 'D^削除^HL70323'));
    const deleted = mapHl7v2(text, FACILITY);
    const deletes = deleted.bundle.entry?.filter((entry) => entry.request?.method === 'DELETE');
    expect(deletes?.map((entry) => entry.request?.url)).toEqual([`AllergyIntolerance?identifier=${encodeURIComponent('urn:tonet:allergy:1312345670')}|${encodeURIComponent('12345678:HOT9:106824501')}`]);
    expect(resourcesOf<AllergyIntolerance>(deleted.bundle, 'AllergyIntolerance')).toHaveLength(3);
  });
});
