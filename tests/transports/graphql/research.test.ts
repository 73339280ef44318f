/**
 * Research statistics: counts, means and quartiles per group over the region, with small cells suppressed
 * so that a cohort of 9 is never revealed, directly or by subtraction from the other cells.
 */
import { startTestServer, TestServer } from '../../support/server';
import { as } from '../../consent/support';
import { graphql } from './support';
import { ENROLMENT, PATIENT_CONSENT_LOINC, PRIVACY_SCOPE } from '../../../src/consent/model';
import { QUARTILE_SPREAD } from '../../../src/research/cohort';

const ICD10 = 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full';
const JLAC10 = 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits';
const HBA1C = '3D046000001920402';

/** The network-enrolment Consent $enroll writes beside the Patient. */
function enrolment(patient: string) {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [PRIVACY_SCOPE] },
    category: [{ coding: [PATIENT_CONSENT_LOINC] }, { coding: [ENROLMENT] }],
    patient: { reference: patient },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: { type: 'permit' },
  };
}

let server: TestServer;
let researcher: string;

/** People with type 2 diabetes (E11) and one HbA1c each, by sex and city. */
const COHORT = [
  { sex: 'female', city: '加須市', n: 12, hba1c: 8.5, birth: '1950-05-01' },
  { sex: 'male', city: '加須市', n: 9, hba1c: 9.0, birth: '1960-05-01' },
  { sex: 'female', city: '久喜市', n: 15, hba1c: 7.0, birth: '1955-05-01' },
  { sex: 'male', city: '久喜市', n: 20, hba1c: 8.2, birth: '1970-05-01' },
];

beforeAll(async () => {
  server = await startTestServer();
  researcher = await server.clientToken({ role: 'researcher' });
  const admin = as(server, server.adminToken);
  let i = 0;
  const entries: unknown[] = [];
  for (const group of COHORT) {
    for (let k = 0; k < group.n; k++, i++) {
      const patient = `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      entries.push(
        { fullUrl: patient, resource: { resourceType: 'Patient', gender: group.sex, birthDate: group.birth, address: [{ text: `埼玉県${group.city}大字${k}`, city: group.city }] }, request: { method: 'POST', url: 'Patient' } },
        // Enrolled in the network, as $enroll records it: only enrolled residents are counted.
        { resource: enrolment(patient), request: { method: 'POST', url: 'Consent' } },
        { resource: { resourceType: 'Condition', subject: { reference: patient }, code: { coding: [{ system: ICD10, code: 'E119' }] }, onsetDateTime: '2020-01-01' }, request: { method: 'POST', url: 'Condition' } },
        // An older, lower value first: only the latest counts.
        { resource: { resourceType: 'Observation', status: 'final', subject: { reference: patient }, code: { coding: [{ system: JLAC10, code: HBA1C }] }, effectiveDateTime: '2023-01-01', valueQuantity: { value: 6.0, unit: '%' } }, request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Observation', status: 'final', subject: { reference: patient }, code: { coding: [{ system: JLAC10, code: HBA1C }] }, effectiveDateTime: '2024-06-01', valueQuantity: { value: group.hba1c + (k % 3) * 0.1, unit: '%' } }, request: { method: 'POST', url: 'Observation' } }
      );
    }
  }
  const answer = await admin.post('/fhir', { resourceType: 'Bundle', type: 'transaction', entry: entries });
  expect(answer.status).toBe(200);
});
afterAll(async () => server?.close());

const QUERY = `query($c: CohortCriteria!, $g: [CohortDimension!]!) { cohortStatistics(criteria: $c, groupBy: $g) { suppressedGroups groups { key count suppressed mean quartiles } } }`;

test('counts by sex and municipality; a cell of 9 and its complement are suppressed', async () => {
  const answer = await graphql(server, researcher, QUERY, { c: { icd10Prefix: 'E11' }, g: ['MUNICIPALITY', 'SEX'] });
  expect(answer.errors).toBeUndefined();
  const byKey = Object.fromEntries(answer.data.cohortStatistics.groups.map((g: any) => [g.key.join('/'), g]));
  expect(byKey['加須市/male']).toMatchObject({ count: null, suppressed: true, mean: null });
  // 加須市 female (12) would reveal 加須市 male as 加須市's total minus 12, and 久喜市 male as SEX=male total minus it.
  expect(byKey['加須市/female'].suppressed).toBe(true);
  expect(byKey['久喜市/male'].suppressed).toBe(true);
  expect(answer.data.cohortStatistics.suppressedGroups).toBe(answer.data.cohortStatistics.groups.filter((g: any) => g.suppressed).length);
  // Every visible count is ≥ 10 and nothing visible lets the hidden ones be computed: each slice hides 0 or ≥ 2 cells.
  for (const g of answer.data.cohortStatistics.groups) if (!g.suppressed) expect(g.count).toBeGreaterThanOrEqual(10);
  for (const dimension of [0, 1]) {
    const slices = new Map<string, number>();
    for (const g of answer.data.cohortStatistics.groups) {
      const rest = g.key.filter((_: string, j: number) => j !== dimension).join('/');
      slices.set(rest, (slices.get(rest) ?? 0) + (g.suppressed ? 1 : 0));
    }
    for (const hidden of slices.values()) expect(hidden).not.toBe(1);
  }
});

test('the latest HbA1c decides the lab criterion, with mean and quartiles', async () => {
  const answer = await graphql(server, researcher, QUERY, { c: { icd10Prefix: 'E11', labCode: HBA1C, labMin: 8.0 }, g: ['SEX'] });
  expect(answer.errors).toBeUndefined();
  const [female, male] = answer.data.cohortStatistics.groups;
  expect(female.key).toEqual(['female']);
  expect(female.count).toBe(12);
  expect(male.count).toBe(29);
  const maleValues = COHORT.filter((g) => g.sex === 'male').flatMap((g) => Array.from({ length: g.n }, (_, k) => g.hba1c + (k % 3) * 0.1));
  expect(male.mean).toBeCloseTo(maleValues.reduce((a, b) => a + b, 0) / maleValues.length, 6);
  expect(male.quartiles).toHaveLength(3);
  // A quartile is the mean of the values nearest its rank, never one person's value.
  const sorted = [...maleValues].sort((a, b) => a - b);
  const middle = Math.round(0.5 * (sorted.length - 1));
  const around = sorted.slice(middle - (QUARTILE_SPREAD - 1) / 2, middle + (QUARTILE_SPREAD - 1) / 2 + 1);
  expect(male.quartiles[1]).toBeCloseTo(around.reduce((a, b) => a + b, 0) / around.length, 6);
});

test('age bands and a single cohort under 10 are suppressed; only researchers may ask', async () => {
  const small = await graphql(server, researcher, QUERY, { c: { icd10Prefix: 'E11', sex: 'male', municipality: '加須市' }, g: ['SEX'] });
  expect(small.data.cohortStatistics.groups).toEqual([{ key: ['male'], count: null, suppressed: true, mean: null, quartiles: null }]);
  const bands = await graphql(server, researcher, QUERY, { c: { icd10Prefix: 'E11', to: '2025-01-01T00:00:00Z' }, g: ['AGE_BAND'] });
  expect(bands.data.cohortStatistics.groups.map((g: any) => g.key[0])).toEqual(['50-59', '60-69', '70-79']);
  const clinician = await server.clientToken({ role: 'clinician', organization: 'Organization/none' });
  expect((await graphql(server, clinician, QUERY, { c: {}, g: ['SEX'] })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  // No identifiers leave: the answer holds keys and numbers only.
  expect(JSON.stringify(bands.data)).not.toMatch(/Patient|urn:uuid/);
});
