/**
 * The search-table layout: a parameter that repeats another's values (patient = subject's Patient rows,
 * phonetic = name, combo-code = code | component-code) stores no copy of them, and the compartment is still
 * found through the rows it is read from. tests/fhir/search.test.ts checks that searches on them still match.
 */
import type { Condition, Observation, Patient } from '@medplum/fhirtypes';
import { loadDefinitions } from '../../src/core/definitions';
import { patientsOf } from '../../src/core/compartments';
import { extractSearchRows } from '../../src/store/search/extract';
import { layoutOf } from '../../src/store/search/layout';

beforeAll(() => loadDefinitions());

const observation: Observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-05-01T10:00:00+09:00',
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, code: 'mm[Hg]' } }],
};

test('an Observation is indexed once per value: no patient, combo-code or combo-value-quantity rows', () => {
  const rows = extractSearchRows(observation);
  const codes = (list: unknown[][]) => list.map((r) => r[0]);
  expect(codes(rows.reference)).toEqual(['subject']);
  expect(codes(rows.token).sort()).toEqual(['code', 'component-code', 'status']);
  expect(codes(rows.quantity).sort()).toEqual(['component-value-quantity', 'value-quantity']);
});

test('an Observation with a code and a value is indexed once per (code, value) pair, for code and value-quantity asked together', () => {
  const twoCodings: Observation = {
    ...observation,
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }, { system: 'urn:local', code: 'HR' }], text: '心拍数' },
    valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
  // Two codings (the text-only row pairs with nothing) × the coded and the human unit; components are not paired.
  expect(extractSearchRows(twoCodings).tokenQuantity).toEqual([
    ['code-value-quantity', 'http://loinc.org', '8867-4', 72, 'http://unitsofmeasure.org', '/min'],
    ['code-value-quantity', 'http://loinc.org', '8867-4', 72, null, 'beats/minute'],
    ['code-value-quantity', 'urn:local', 'HR', 72, 'http://unitsofmeasure.org', '/min'],
    ['code-value-quantity', 'urn:local', 'HR', 72, null, 'beats/minute'],
  ]);
  expect(extractSearchRows({ ...observation, valueQuantity: undefined, valueString: 'positive' } as Observation).tokenQuantity).toEqual([]);
  expect(extractSearchRows({ resourceType: 'RiskAssessment', status: 'final', subject: { reference: 'Patient/p1' } }).tokenQuantity).toEqual([]);
});

test('layouts name the rows each parameter is read from', () => {
  expect(layoutOf('Observation', 'patient')).toMatchObject({ codes: ['subject'], targetType: 'Patient', storedBranches: [] });
  expect(layoutOf('Observation', 'combo-code')).toMatchObject({ codes: ['code', 'component-code'], storedBranches: [] });
  expect(layoutOf('Patient', 'phonetic')).toMatchObject({ codes: ['name'], storedBranches: [] });
  expect(layoutOf('Observation', 'subject')).toMatchObject({ codes: ['subject'], storedBranches: ['Observation.subject'] });
});

test('a compartment parameter read from another parameter still places the resource in the compartment', () => {
  // Condition's compartment parameter is `patient`, which is read from `subject` rows.
  const condition: Condition = { resourceType: 'Condition', subject: { reference: 'Patient/p7' }, code: { text: 'x' } };
  expect(patientsOf(condition)).toEqual(['p7']);
  const patient: Patient = { resourceType: 'Patient', id: 'p8', name: [{ family: '山田', given: ['太郎'] }] };
  const rows = extractSearchRows(patient);
  expect(rows.string.filter((r) => r[0] === 'phonetic')).toEqual([]);
  expect(rows.string.some((r) => r[0] === 'name' && r[2] === '山田太郎')).toBe(true);
});
