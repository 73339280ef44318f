import type { Observation } from '@medplum/fhirtypes';
import { SHIPPED_PATHWAYS } from '../../src/pathway/definitions';
import { activityRules, describeValues, evaluate, primaryValue, resultValues, token, tokensAnswering } from '../../src/pathway/rules';

const JLAC10 = 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits';

test('a JLAC10 code means its test whatever the laboratory method: HbA1c NGSP under any method digits is one token', () => {
  const methods = ['3D046000001906202', '3D046000001920402', '3D046000001999902'].map((code) => token({ system: JLAC10, code }));
  expect(new Set(methods).size).toBe(1);
  // Analyte, identification, material and result digits still tell tests apart: old JDS HbA1c, plasma, another result.
  for (const other of ['3D045000001920402', '3D046000002220402', '3D046000001920401']) {
    expect(token({ system: JLAC10, code: other })).not.toBe(methods[0]);
  }
  // Other systems and malformed codes match exactly.
  expect(token({ system: 'http://loinc.org', code: '4548-4' })).toBe('http://loinc.org|4548-4');
  expect(token({ system: JLAC10, code: '3D046' })).toBe(`${JLAC10}|3D046`);
});

describe('a blood pressure sent as its items is read as the panel', () => {
  const LOINC = 'http://loinc.org';
  const bloodPressure = SHIPPED_PATHWAYS[0].activities.find((a) => a.url === 'urn:tonet:pathway:diabetes:blood-pressure')!;
  const activity = activityRules(bloodPressure);
  const item = (code: string, value: number): Observation => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code }] }, valueQuantity: { value, unit: 'mm[Hg]' } });

  test('a systolic or diastolic item answers the panel activity; other codes answer only themselves', () => {
    for (const code of ['8480-6', '8462-4']) expect(tokensAnswering({ system: LOINC, code })).toEqual(expect.arrayContaining(activity.codes));
    expect(tokensAnswering({ system: LOINC, code: '8867-4' })).toEqual([`${LOINC}|8867-4`]);
    expect(tokensAnswering({ system: JLAC10, code: '3D046000001906202' })).toEqual([token({ system: JLAC10, code: '3D046000001920402' })]);
  });

  test("the rule's component measures read the items' own values, and one measurement's items together describe it", () => {
    const systolic = resultValues(item('8480-6', 165));
    const diastolic = resultValues(item('8462-4', 95));
    expect(evaluate(activity, systolic, undefined, 'mm[Hg]').map((a) => [a.rule.id, a.valueText])).toEqual([['bp-high', '165 mm[Hg]']]);
    expect(evaluate(activity, diastolic, undefined, 'mm[Hg]').map((a) => [a.rule.id, a.valueText])).toEqual([['bp-high', '95 mm[Hg]']]);
    expect(evaluate(activity, resultValues(item('8480-6', 128)), undefined)).toEqual([]);
    const measurement = { ...diastolic, ...systolic };
    expect(describeValues(activity, measurement, 'mm[Hg]')).toBe('165/95 mm[Hg]');
    // The baseline is kept for the systolic, whichever item arrives first.
    expect(primaryValue(activity, measurement)).toBe(165);
    expect(primaryValue(activity, diastolic)).toBeUndefined();
  });
});
