/**
 * The two Synthea transaction bundles, loaded as they are: their conditional references
 * (Practitioner?identifier=…, Organization?identifier=…, Location?identifier=…) point outside the bundle,
 * so those resources are created first from the identifiers the bundles reference.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Bundle, BundleEntry, Encounter, Patient, Resource } from '@medplum/fhirtypes';
import { fixturePath } from '../fixtures';
import { ids, useFhirServer } from './helpers';

const fhir = useFhirServer();
const DIR = fixturePath('synthea-transaction-bundles');
const bundles = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, text: readFileSync(`${DIR}/${f}`, 'utf8') }))
  .map(({ file, text }) => ({ file, text, bundle: JSON.parse(text) as Bundle }));
const conditional = [...new Set(bundles.flatMap(({ text }) => text.match(/"(?:Practitioner|Organization|Location)\?identifier=[^"]+"/g) ?? []))].map((s) => JSON.parse(s) as string);
const targetIds = new Map<string, string>();
const responses = new Map<string, Bundle>();

beforeAll(async () => {
  for (const reference of conditional) {
    const [type, query] = reference.split('?');
    const [system, value] = decodeURIComponent(query.replace(/^identifier=/, '')).split('|');
    const body = { resourceType: type, identifier: [{ system, value }], ...(type === 'Practitioner' ? { name: [{ family: `NPI ${value}` }] } : { name: `${type} ${value}` }) };
    targetIds.set(reference, (await fhir.create(body as Resource)).id as string);
  }
  for (const { file, bundle } of bundles) {
    const res = await fhir.post('', bundle);
    if (res.status !== 200) throw new Error(`${file}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    responses.set(file, res.body);
  }
}, 120_000);

test('the bundles reference directory resources outside themselves', () => {
  expect(conditional.length).toBeGreaterThanOrEqual(6);
  expect(bundles).toHaveLength(2);
});

test.each(bundles.map((b) => [b.file, b] as const))('%s: every entry is created', (file, { bundle }) => {
  const response = responses.get(file) as Bundle;
  expect(response.type).toBe('transaction-response');
  expect(response.entry).toHaveLength(bundle.entry?.length as number);
  expect(new Set(response.entry?.map((e) => e.response?.status))).toEqual(new Set(['201 Created']));
});

test.each(bundles.map((b) => [b.file, b] as const))('%s: per-type counts for the patient match the bundle', async (file, { bundle }) => {
  const response = responses.get(file) as Bundle;
  const patientIndex = bundle.entry?.findIndex((e) => e.resource?.resourceType === 'Patient') as number;
  const patientId = response.entry?.[patientIndex].response?.location?.match(/Patient\/([^/]+)/)?.[1];
  const counts = new Map<string, number>();
  for (const e of bundle.entry ?? []) counts.set(e.resource?.resourceType as string, (counts.get(e.resource?.resourceType as string) ?? 0) + 1);
  for (const type of ['Observation', 'Encounter', 'Condition', 'Procedure', 'Immunization', 'DiagnosticReport', 'MedicationRequest']) {
    const res = await fhir.get(`${type}?patient=Patient/${patientId}&_count=0`);
    expect([type, res.body.total]).toEqual([type, counts.get(type) ?? 0]);
  }
  const patient = bundle.entry?.[patientIndex].resource as Patient;
  const found = await fhir.get(`Patient?family=${encodeURIComponent(patient.name?.[0].family as string)}&birthdate=${patient.birthDate}`);
  expect(ids(found.body)).toEqual([patientId]);
});

test.each(bundles.map((b) => [b.file, b] as const))('%s: urn:uuid and conditional references are resolved', async (file, { bundle }) => {
  const response = responses.get(file) as Bundle;
  const encounterIndex = bundle.entry?.findIndex((e) => e.resource?.resourceType === 'Encounter') as number;
  const original = bundle.entry?.[encounterIndex] as BundleEntry<Encounter>;
  const stored = (await fhir.get((response.entry?.[encounterIndex].response?.location as string).replace(/^.*\/fhir\//, ''))).body as Encounter;
  expect(stored.subject?.reference).toMatch(/^Patient\/[0-9a-f-]{36}$/);
  expect(stored.serviceProvider?.reference).toBe(`Organization/${targetIds.get(original.resource?.serviceProvider?.reference as string)}`);
  expect(JSON.stringify(stored)).not.toMatch(/urn:uuid:|\?identifier=/);
  const byProvider = await fhir.get(`Encounter?service-provider=${stored.serviceProvider?.reference}&subject=${stored.subject?.reference}&_count=0`);
  const expected = bundle.entry?.filter((e) => e.resource?.resourceType === 'Encounter' && (e.resource as Encounter).serviceProvider?.reference === original.resource?.serviceProvider?.reference).length;
  expect(byProvider.body.total).toBe(expected);
});
