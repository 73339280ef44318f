import type { Condition, Immunization, Medication, MedicationAdministration, MedicationRequest, NutritionOrder } from '@medplum/fhirtypes';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { validationErrors } from '../fhir-validation';
import { entryFor, errorsOf, FACILITY, mapSample, resourcesOf, sampleText, setField, withSegment, mappingIssues } from './helpers';

const JP = 'http://jpfhir.jp/fhir/core/StructureDefinition/';
const HOT9 = 'http://medis.or.jp/CodeSystem/master-HOT9';
const MERIT9 = 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationUnitMERIT9Code';

describe('PPR-01 (PPR^ZD1 diagnoses)', () => {
  const result = mapSample('PPR-01');
  const [condition] = resourcesOf<Condition>(result.bundle, 'Condition');

  test('PRB/ZPR → Condition with MEDIS key number, exchange code and ICD-10', () => {
    expect(result.dataType).toBe('PPR-01');
    // ZI1 (JAHIS insurance) is a Z-segment Tonet does not map; it is accepted.
    expect(errorsOf(result)).toEqual([]);
    expect(condition.meta?.profile).toEqual([`${JP}JP_Condition_Diagnosis`]);
    expect(condition.identifier).toEqual([{ system: 'urn:tonet:condition:1312345670', value: '123456789012345' }]);
    expect(condition.code).toEqual({
      coding: [
        { system: 'http://medis.or.jp/CodeSystem/master-disease-keyNumber', code: '20054174', display: '胃炎' },
        { system: 'http://medis.or.jp/CodeSystem/master-disease-exCode', code: 'TSQF', display: '胃炎' },
        { system: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full', code: 'K297' },
      ],
      text: '胃炎',
    });
  });

  test('dates, outcome, main-diagnosis flag and recorder', () => {
    expect(condition.recordedDate).toBe('2011-08-31');
    expect(condition.onsetDateTime).toBe('2011-08-31');
    expect(condition.abatementDateTime).toBe('2011-09-15');
    // 転帰 N 回復せず with a 転帰日: closed without recovery, which FHIR calls inactive.
    expect(condition.clinicalStatus?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'inactive' });
    expect(condition.category?.[1]).toEqual({ coding: [{ system: 'urn:tonet:v2-system:JHSD0007', code: '1', display: '主診断' }], text: '主診断' });
    expect(condition.recorder).toEqual({ type: 'Practitioner', identifier: { system: 'urn:tonet:practitioner:1312345670', value: '110' }, display: '医師 一郎' });
    expect(condition.verificationStatus).toBeUndefined();
  });

  test('PRB-13 疑い → provisional, never confirmed; PRB-17 names the diagnosis as written; ZPR modifiers → JP Core extensions', () => {
    let text = withSegment(sampleText('PPR-01'), 'PRB', 1, (line) => setField(setField(line, 13, 'S^疑い^JHSD0005'), 17, '左胃炎疑い'));
    // A prefix modifier with its management number and exchange code, a postfix one with its exchange code only.
    text = withSegment(text, 'ZPR', 1, (line) => setField(setField(setField(line, 1, '27000358^左^MDCDX2'), 4, 'L0T1^左^MDCDX2'), 6, 'S0T9^疑い^MDCDX2'));
    const result = mapHl7v2(text, FACILITY);
    expect(errorsOf(result)).toEqual([]);
    const [suspected] = resourcesOf<Condition>(result.bundle, 'Condition');
    expect(suspected.verificationStatus).toEqual({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'provisional' }] });
    expect(suspected.code?.text).toBe('左胃炎疑い');
    expect(suspected.onsetString).toBeUndefined();
    expect(suspected.code?.extension).toEqual([
      {
        url: 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Condition_DiseasePrefixModifier',
        valueCodeableConcept: {
          coding: [
            { system: 'http://medis.or.jp/CodeSystem/master-disease-modKeyNumber', code: '27000358', display: '左' },
            { system: 'http://medis.or.jp/CodeSystem/master-disease-modExCode', code: 'L0T1', display: '左' },
          ],
          text: '左',
        },
      },
      {
        url: 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Condition_DiseasePostfixModifier',
        valueCodeableConcept: { coding: [{ system: 'http://medis.or.jp/CodeSystem/master-disease-modExCode', code: 'S0T9', display: '疑い' }], text: '疑い' },
      },
    ]);
    const confirmed = mapHl7v2(withSegment(sampleText('PPR-01'), 'PRB', 1, (line) => setField(line, 13, 'C')), FACILITY);
    expect(resourcesOf<Condition>(confirmed.bundle, 'Condition')[0].verificationStatus?.coding?.[0].code).toBe('confirmed');
  });

  test('PRB-1 DE marks the diagnosis entered-in-error and drops its clinical status', () => {
    const deleted = mapHl7v2(withSegment(sampleText('PPR-01'), 'PRB', 1, (line) => setField(line, 1, 'DE')), FACILITY);
    const [erroneous] = resourcesOf<Condition>(deleted.bundle, 'Condition');
    expect(erroneous.verificationStatus?.coding?.[0].code).toBe('entered-in-error');
    expect(erroneous.clinicalStatus).toBeUndefined();
    expect(entryFor(deleted.bundle, erroneous).request?.method).toBe('PUT');
  });
});

describe('OMP-01 (RDE^O11 prescription)', () => {
  const result = mapSample('OMP-01');
  const requests = resourcesOf<MedicationRequest>(result.bundle, 'MedicationRequest');

  test('one MedicationRequest per RXE, keyed by order number, Rp number and position in the Rp', () => {
    expect(result.dataType).toBe('OMP-01');
    expect(mappingIssues(result)).toEqual([]);
    expect(requests.map((request) => request.identifier?.slice(0, 3).map((identifier) => identifier.value))).toEqual([
      ['000000011000185:1:1', '1', '1'],
      ['000000011000185:1:2', '2', '1'],
      ['000000011000185:2:1', '1', '2'],
    ]);
    expect(requests[0].identifier?.map((identifier) => identifier.system)).toEqual([
      'urn:tonet:medication-request:1312345670',
      'http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicationAdministrationIndex',
      'http://jpfhir.jp/fhir/core/mhlw/IdSystem/Medication-RPGroupNumber',
      'http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier',
      'urn:tonet:prescription-number:1312345670',
    ]);
    expect(requests[0].groupIdentifier).toEqual({ system: 'urn:tonet:order:1312345670', value: '000000011000185' });
    expect(requests.every((request) => request.meta?.profile?.[0] === `${JP}JP_MedicationRequest` && request.status === 'active' && request.intent === 'order')).toBe(true);
  });

  test('drug (HOT9), dose and unit (MERIT-9), usage (JAMI), duration, daily total, dispense and route', () => {
    const [first, , third] = requests;
    expect(first.medicationCodeableConcept).toEqual({ coding: [{ system: HOT9, code: '108665201', display: 'ダーゼン錠（５mg)' }], text: 'ダーゼン錠（５mg)' });
    const dosage = first.dosageInstruction?.[0];
    expect(dosage?.doseAndRate?.[0].doseQuantity).toEqual({ value: 1, unit: '錠', system: MERIT9, code: 'TAB' });
    expect(dosage?.doseAndRate?.[0].rateRatio?.numerator).toEqual({ value: 3, unit: '錠', system: MERIT9, code: 'TAB' });
    expect(dosage?.timing?.code?.coding).toEqual([{ system: 'http://jami.jp/CodeSystem/MedicationUsage', code: '1013044400000000', display: '内服・経口・１日３回朝昼夕食後' }]);
    expect(dosage?.text).toBe('内服・経口・１日３回朝昼夕食後');
    expect(dosage?.timing?.repeat?.boundsDuration).toEqual({ value: 5, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' });
    expect(dosage?.extension).toEqual([{ url: 'http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_MedicationDosage_PeriodOfUse', valuePeriod: { start: '2011-07-01T00:00:00+09:00' } }]);
    expect(dosage?.route?.coding).toEqual([{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/route-codes', code: 'PO', display: '口' }]);
    expect(first.dispenseRequest?.quantity).toEqual({ value: 15, unit: '錠', system: MERIT9, code: 'TAB' });
    expect(first.authoredOn).toBe('2011-07-01T10:30:45+09:00');
    expect(first.requester?.display).toBe('医師 一郎');
    expect(first.recorder?.display).toBe('入力者 花子');
    expect(first.category?.map((category) => category.coding?.[0].code)).toEqual(['O', 'OHP', 'OHI']);
    // MR9P in RXE-21 is MERIT-9's 処方区分 table, JP Core's category system.
    expect(first.category?.[1].coding?.[0].system).toBe('http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCategoryMERIT9_CS');
    expect(third.medicationCodeableConcept?.coding?.[0]).toEqual({ system: HOT9, code: '100607002', display: 'アレピアチン１０倍散' });
    expect(third.dosageInstruction?.[0].doseAndRate?.[0].doseQuantity).toEqual({ value: 50, unit: 'ミリグラム', system: MERIT9, code: 'MG' });
    expect(third.dispenseRequest?.expectedSupplyDuration?.value).toBe(14);
    expect(third.dosageInstruction?.[0].timing?.code?.coding?.[0].code).toBe('1012040400000000');
  });

  test('ORC-1 CA deletes the order\'s MedicationRequests by identifier', () => {
    let text = sampleText('OMP-01');
    for (const sequence of [1, 2, 3]) {
      text = withSegment(text, 'ORC', sequence, (line) => setField(line, 1, 'CA'));
    }
    const cancelled = mapHl7v2(text, FACILITY);
    expect(errorsOf(cancelled)).toEqual([]);
    expect(cancelled.bundle.entry?.filter((entry) => entry.request?.method === 'DELETE').map((entry) => entry.request?.url)).toEqual(
      ['000000011000185:1:1', '000000011000185:1:2', '000000011000185:2:1'].map((value) => `MedicationRequest?identifier=${encodeURIComponent('urn:tonet:medication-request:1312345670')}|${encodeURIComponent(value)}`),
    );
  });

  test('a missing drug code rejects the message with a located 101 error', () => {
    const missing = mapHl7v2(withSegment(sampleText('OMP-01'), 'RXE', 2, (line) => setField(line, 2, '')), FACILITY);
    expect(errorsOf(missing)).toEqual([expect.objectContaining({ code: '101', segment: 'RXE', segmentSequence: 2, field: 2 })]);
    expect(missing.bundle.entry).toEqual([]);
  });
});

describe('OMP-02 (RDE^O11 injection)', () => {
  const result = mapSample('OMP-02');
  const requests = resourcesOf<MedicationRequest>(result.bundle, 'MedicationRequest');

  test('RXC base and additive drugs → contained Medication; RXE total volume and rate', () => {
    expect(result.dataType).toBe('OMP-02');
    expect(mappingIssues(result)).toEqual([]);
    expect(requests).toHaveLength(3);
    const [first] = requests;
    expect(first.meta?.profile).toEqual([`${JP}JP_MedicationRequest_Injection`]);
    expect(first.identifier?.[0].value).toBe('123456789012345:123456789012345_01_001:1');
    expect(first.medicationReference).toEqual({ reference: '#injection' });
    const medication = first.contained?.[0] as Medication;
    expect(medication.ingredient?.map((ingredient) => [ingredient.extension?.[0].valueCoding?.code, ingredient.itemCodeableConcept?.coding?.[0].code, ingredient.itemCodeableConcept?.text, ingredient.strength?.numerator?.code])).toEqual([
      ['B', '620007329', 'ソリタ－Ｔ３号輸液５００ｍＬ', 'HON'],
      ['A', '620002559', 'アドナ注（静脈用）50mg', 'AMP'],
    ]);
    expect(first.dosageInstruction?.[0].doseAndRate?.[0].doseQuantity).toEqual({ value: 510, unit: 'ミリリットル', system: MERIT9, code: 'ML' });
    expect(first.dosageInstruction?.[0].doseAndRate?.[0].rateQuantity).toEqual({ value: 102, unit: 'ミリリッター／時間', system: 'http://unitsofmeasure.org', code: 'mL/h' });
    expect(first.dosageInstruction?.[0].extension?.[0].valuePeriod).toEqual({ start: '2011-07-01T08:00:00+09:00', end: '2011-07-01T13:00:00+09:00' });
    expect(first.dosageInstruction?.[0].route?.coding?.[0].code).toBe('IV');
    expect(first.dosageInstruction?.[0].additionalInstruction?.[0].text).toBe('５時間一定速度で');
    expect(first.category?.find((category) => category.coding?.[0].code === '00')?.coding?.[0].system).toBe('urn:tonet:local:1312345670:99I02');
    expect(requests[2].dosageInstruction?.[0].extension?.[0].valuePeriod?.start).toBe('2011-07-01T18:00:00+09:00');
  });
});

describe('OMP-11 / OMP-12 (RAS^O17 administrations)', () => {
  test('OMP-11: one MedicationAdministration per RXA with period, drug, dose, performer and route', () => {
    const result = mapSample('OMP-11');
    expect(result.dataType).toBe('OMP-11');
    expect(mappingIssues(result)).toEqual([]);
    const administrations = resourcesOf<MedicationAdministration>(result.bundle, 'MedicationAdministration');
    expect(administrations.map((administration) => [administration.identifier?.[0].value, administration.medicationCodeableConcept?.coding?.[0].code, administration.dosage?.dose?.value])).toEqual([
      ['123456789012345:1:1', '108665201', 1],
      ['123456789012345:1:2', '110626901', 2],
    ]);
    const [first] = administrations;
    expect(first.meta?.profile).toEqual([`${JP}JP_MedicationAdministration`]);
    expect(first.status).toBe('completed');
    expect(first.effectivePeriod).toEqual({ start: '2011-07-01T08:30:00+09:00', end: '2011-07-01T08:30:00+09:00' });
    expect(first.dosage?.dose).toEqual({ value: 1, unit: '錠', system: MERIT9, code: 'TAB' });
    expect(first.dosage?.route?.coding?.[0].code).toBe('PO');
    expect(first.performer?.[0].actor.display).toBe('看護 花子');
  });

  test('OMP-12: injection administrations with note', () => {
    const result = mapSample('OMP-12');
    expect(result.dataType).toBe('OMP-12');
    const administrations = resourcesOf<MedicationAdministration>(result.bundle, 'MedicationAdministration');
    expect(administrations.map((administration) => administration.medicationCodeableConcept?.text)).toEqual(['ソリタ－Ｔ３号輸液５００ｍＬ', 'アドナ注（静脈用）50mg']);
    expect(administrations[0].meta?.profile).toEqual([`${JP}JP_MedicationAdministration_Injection`]);
    expect(administrations[0].effectivePeriod).toEqual({ start: '2011-07-01T08:05:21+09:00', end: '2011-07-01T13:05:43+09:00' });
    expect(administrations[0].note).toEqual([{ text: '左手に実施' }]);
    expect(administrations[1].dosage?.dose).toEqual({ value: 1, unit: 'アンプル', system: MERIT9, code: 'AMP' });
  });
});

describe('OMD (OMD^O03 diet order)', () => {
  const result = mapSample('OMD');
  const [order] = resourcesOf<NutritionOrder>(result.bundle, 'NutritionOrder');

  test('ORC + TQ1 + ODS → NutritionOrder, field by field', () => {
    expect(result.dataType).toBe('OMD');
    expect(mappingIssues(result)).toEqual([]);
    expect(order).toEqual({
      resourceType: 'NutritionOrder',
      identifier: [
        { system: 'urn:tonet:nutrition-order:1312345670', value: '123456789012345' },
        { system: 'urn:tonet:order:1312345670', value: '123456789012345' },
      ],
      status: 'active',
      intent: 'order',
      patient: { reference: result.bundle.entry?.[0].fullUrl },
      // PV1 (an inpatient, PV1-2 I): the patient's open stay
      encounter: { reference: entryFor(result.bundle, resourcesOf(result.bundle, 'Encounter')[0]).fullUrl },
      // ORC-9 20111013232213
      dateTime: '2011-10-13T23:22:13+09:00',
      // ORC-12 110^医師^一郎
      orderer: { type: 'Practitioner', identifier: { system: 'urn:tonet:practitioner:1312345670', value: '110' }, display: '医師 一郎' },
      oralDiet: {
        // ODS|D||001^^99XY3|塩分控えめ: a facility diet code with its instruction.
        type: [{ coding: [{ system: 'urn:tonet:local:1312345670:99XY3', code: '001' }] }],
        instruction: '塩分控えめ',
        // TQ1-3 TID&１日３回&HL70335, TQ1-7 2011101607 (start of the diet)
        schedule: [
          {
            code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0335', code: 'TID', display: '１日３回' }], text: '１日３回' },
            repeat: { boundsPeriod: { start: '2011-10-16T07:00:00+09:00' } },
          },
        ],
      },
    });
    expect(entryFor(result.bundle, order).request).toEqual({ method: 'PUT', url: `NutritionOrder?identifier=${encodeURIComponent('urn:tonet:nutrition-order:1312345670')}|123456789012345` });
    expect(resourcesOf(result.bundle, 'Patient')[0]).toMatchObject({ identifier: [{ system: 'urn:oid:1.2.392.100495.20.3.51.11312345670', value: '1234567890' }] });
    expect(validationErrors(order)).toEqual([]);
  });

  test('supplement and preference rows, repeated instructions, and ORC-9 missing → MSH-7', () => {
    let text = withSegment(sampleText('OMD'), 'ORC', 1, (line) => setField(line, 9, ''));
    text = withSegment(text, 'ODS', 1, (line) => `${setField(line, 4, '塩分控えめ~６g/日')}\rODS|S||S01^濃厚流動食^99XY4|夕食時\rODS|P||P01^魚禁^99XY5`);
    const variant = mapHl7v2(text, FACILITY);
    expect(mappingIssues(variant)).toEqual([]);
    const [changed] = resourcesOf<NutritionOrder>(variant.bundle, 'NutritionOrder');
    expect(changed.dateTime).toBe('2011-10-14T23:22:13+09:00');
    expect(changed.oralDiet?.instruction).toBe('塩分控えめ\n６g/日');
    expect(changed.supplement).toEqual([{ type: { coding: [{ system: 'urn:tonet:local:1312345670:99XY4', code: 'S01', display: '濃厚流動食' }], text: '濃厚流動食' }, instruction: '夕食時' }]);
    expect(changed.foodPreferenceModifier).toEqual([{ coding: [{ system: 'urn:tonet:local:1312345670:99XY5', code: 'P01', display: '魚禁' }], text: '魚禁' }]);
    expect(validationErrors(changed)).toEqual([]);
  });

  test('ORC-1 CA deletes the diet order by identifier', () => {
    const cancelled = mapHl7v2(withSegment(sampleText('OMD'), 'ORC', 1, (line) => setField(line, 1, 'CA')), FACILITY);
    expect(errorsOf(cancelled)).toEqual([]);
    expect(cancelled.bundle.entry?.map((entry) => entry.request)).toEqual([
      expect.objectContaining({ method: 'POST', url: 'Patient' }),
      { method: 'DELETE', url: `NutritionOrder?identifier=${encodeURIComponent('urn:tonet:nutrition-order:1312345670')}|123456789012345` },
    ]);
  });

  test('a diet row without its code rejects the message naming ODS-3', () => {
    const missing = mapHl7v2(withSegment(sampleText('OMD'), 'ODS', 1, (line) => setField(line, 3, '')), FACILITY);
    expect(errorsOf(missing)).toEqual([expect.objectContaining({ code: '101', segment: 'ODS', segmentSequence: 1, field: 3 })]);
    expect(missing.bundle.entry).toEqual([]);
  });
});

describe('injection category 06 予防接種 (JHSI 0002)', () => {
  const VACCINATION_RXE = 'RXE||06^予防接種^JHSI0002|0.5||ML^ミリリットル^MR9P|INJ^注射剤^MR9P';

  /** The OMP-12 sample as a vaccination: its RAS^O17 order group carries RXE-2 = 06, one RXA with a vaccine and lot. */
  function vaccinationText(): string {
    let text = withSegment(sampleText('OMP-12'), 'ORC', 1, (line) => `${line}\r${VACCINATION_RXE}`);
    text = withSegment(text, 'RXA', 1, (line) => {
      let rxa = setField(line, 5, '9999^インフルエンザＨＡワクチン^99XYV');
      rxa = setField(rxa, 6, '0.5');
      rxa = setField(rxa, 7, 'ML^ミリリットル^MR9P');
      rxa = setField(rxa, 15, 'LOT123');
      return setField(rxa, 16, '20120331');
    });
    return withSegment(text, 'RXA', 2, () => '');
  }

  test('OMP-12: the administered RXA becomes an Immunization, not a MedicationAdministration', () => {
    const result = mapHl7v2(vaccinationText(), FACILITY);
    const [visit] = resourcesOf(result.bundle, 'Encounter');
    expect(result.dataType).toBe('OMP-12');
    expect(mappingIssues(result)).toEqual([]);
    expect(resourcesOf(result.bundle, 'MedicationAdministration')).toEqual([]);
    const [immunization] = resourcesOf<Immunization>(result.bundle, 'Immunization');
    expect(immunization).toEqual({
      resourceType: 'Immunization',
      meta: { profile: [`${JP}JP_Immunization`] },
      identifier: [
        { system: 'urn:tonet:immunization:1312345670', value: '123456789012345:123456789012345_01_001:1' },
        { system: 'urn:tonet:order:1312345670', value: '123456789012345' },
      ],
      // RXA-20 CP
      status: 'completed',
      patient: { reference: result.bundle.entry?.[0].fullUrl },
      encounter: { reference: entryFor(result.bundle, visit).fullUrl },
      vaccineCode: { coding: [{ system: 'urn:tonet:local:1312345670:99XYV', code: '9999', display: 'インフルエンザＨＡワクチン' }], text: 'インフルエンザＨＡワクチン' },
      occurrenceDateTime: '2011-07-01T08:05:21+09:00',
      recorded: '2011-07-01T13:06:13+09:00',
      lotNumber: 'LOT123',
      expirationDate: '2012-03-31',
      doseQuantity: { value: 0.5, unit: 'ミリリットル', system: MERIT9, code: 'ML' },
      note: [{ text: '左手に実施' }],
      performer: [{ actor: { type: 'Practitioner', identifier: { system: 'urn:tonet:practitioner:1312345670', value: '200' }, display: '看護 花子' } }],
      route: { coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/route-codes', code: 'IV', display: '静脈内' }], text: '静脈内' },
    });
    expect(entryFor(result.bundle, immunization).request).toEqual({ method: 'PUT', url: `Immunization?identifier=${encodeURIComponent('urn:tonet:immunization:1312345670')}|${encodeURIComponent('123456789012345:123456789012345_01_001:1')}` });
    expect(validationErrors(immunization)).toEqual([]);
  });

  test('OMP-12: a refused vaccination is not-done; a cancelled one is deleted', () => {
    const refused = mapHl7v2(withSegment(vaccinationText(), 'RXA', 1, (line) => setField(line, 20, 'RE')), FACILITY);
    expect(resourcesOf<Immunization>(refused.bundle, 'Immunization')[0].status).toBe('not-done');
    const cancelled = mapHl7v2(withSegment(vaccinationText(), 'ORC', 1, (line) => setField(line, 1, 'CA')), FACILITY);
    expect(cancelled.bundle.entry?.map((entry) => entry.request?.method)).toEqual(['POST', 'DELETE']);
    expect(cancelled.bundle.entry?.[1].request?.url).toMatch(/^Immunization\?identifier=/);
  });

  test('06 in a facility table (99I02) is not trusted: the RXA stays a MedicationAdministration', () => {
    const local = mapHl7v2(vaccinationText().replace('06^予防接種^JHSI0002', '06^予防接種^99I02'), FACILITY);
    expect(resourcesOf(local.bundle, 'Immunization')).toEqual([]);
    expect(resourcesOf(local.bundle, 'MedicationAdministration')).toHaveLength(1);
  });

  test('OMP-02: a vaccination *order* stays a MedicationRequest (an Immunization records a given dose)', () => {
    const order = mapHl7v2(withSegment(sampleText('OMP-02'), 'RXE', 1, (line) => setField(line, 2, '06^予防接種^JHSI0002')), FACILITY);
    expect(order.dataType).toBe('OMP-02');
    expect(resourcesOf(order.bundle, 'Immunization')).toEqual([]);
    const [first] = resourcesOf<MedicationRequest>(order.bundle, 'MedicationRequest');
    expect(first.category).toContainEqual({ coding: [{ system: 'urn:tonet:v2-system:JHSI0002', code: '06', display: '予防接種' }], text: '予防接種' });
  });
});
