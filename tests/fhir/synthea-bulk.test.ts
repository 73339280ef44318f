/**
 * The NDJSON of synthea-bulk-10 (10 patients, ~2,100 resources), each resource PUT with its own id, then
 * searched: counts per type and per patient, and values, compared with what the files say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Bundle, Condition, Encounter, Immunization, Patient, Resource } from '@medplum/fhirtypes';
import { sql } from '../../src/core/sql';
import { fixturePath } from '../fixtures';
import { ids, useFhirServer } from './helpers';

const fhir = useFhirServer();
const DIR = fixturePath('synthea-bulk-10');

const byType = new Map<string, Resource[]>();
for (const file of readdirSync(DIR).filter((f) => f.endsWith('.ndjson'))) {
  const resources = readFileSync(`${DIR}/${file}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Resource);
  byType.set(resources[0].resourceType, resources);
}
const all = [...byType.values()].flat();
const of = <T extends Resource>(type: string) => (byType.get(type) ?? []) as T[];
const patientOf = (r: Resource) => ((r as Encounter).subject ?? (r as Immunization).patient)?.reference as string;
const countBy = <T>(list: T[], key: (t: T) => string | undefined) => {
  const counts = new Map<string, number>();
  for (const item of list) {
    const k = key(item);
    if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
};

beforeAll(async () => {
  // PUT each resource with its own id, a few at a time.
  const queue = [...all];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const res = await fhir.put(`${r.resourceType}/${r.id}`, r);
        if (res.status !== 201) failures.push(`${r.resourceType}/${r.id}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    })
  );
  if (failures.length) throw new Error(`${failures.length} PUTs failed:\n${failures.slice(0, 5).join('\n')}`);
}, 180_000);

test('the fixture is what this suite expects', () => {
  expect(of('Patient').length).toBeGreaterThanOrEqual(10);
  expect(all.length).toBeGreaterThan(2000);
});

test('every type: the search total is the number of NDJSON lines', async () => {
  for (const [type, resources] of byType) {
    const res = await fhir.get(`${type}?_summary=count`);
    expect([type, res.body.total]).toEqual([type, resources.length]);
  }
});

test('per patient: Encounter, Condition and Immunization totals match the files', async () => {
  for (const type of ['Encounter', 'Condition', 'Immunization']) {
    const param = type === 'Immunization' ? 'patient' : 'subject';
    for (const [patient, count] of countBy(of(type), patientOf)) {
      const res = await fhir.get(`${type}?${param}=${patient}&_total=accurate&_count=0`);
      expect([type, patient, res.body.total]).toEqual([type, patient, count]);
    }
  }
});

test('per patient: $everything holds the patient and all its compartment data', async () => {
  const patient = of<Patient>('Patient')[0];
  // Device names a patient but is not in R4's Patient compartment (CompartmentDefinition lists it without parameters).
  const inCompartment = (r: Resource) => r.resourceType !== 'Device' && patientOf(r) === `Patient/${patient.id}`;
  const expected = all.filter(inCompartment).length + 1;
  const res = await fhir.get(`Patient/${patient.id}/$everything?_count=1000`);
  const got = new Set(ids(res.body));
  const missing = all.filter((r) => inCompartment(r) && !got.has(r.id as string)).map((r) => `${r.resourceType}/${r.id}`);
  expect(missing).toEqual([]);
  expect(res.body.total).toBe(expected);
});

test('patients are found by their own values', async () => {
  for (const p of of<Patient>('Patient')) {
    const official = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
    const query = new URLSearchParams({ family: official?.family as string, given: official?.given?.[0] as string, birthdate: p.birthDate as string, gender: p.gender as string });
    const res = await fhir.get(`Patient?${query}`);
    expect(ids(res.body)).toEqual([p.id]);
    const identifier = p.identifier?.find((i) => i.system && i.value) as { system: string; value: string };
    const byIdentifier = await fhir.get(`Patient?identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`);
    expect(ids(byIdentifier.body)).toEqual([p.id]);
  }
});

test('conditions by code and clinical status match the files', async () => {
  const byCode = countBy(of<Condition>('Condition'), (c) => `${c.code?.coding?.[0].system}|${c.code?.coding?.[0].code}`);
  const top = [...byCode].sort((a, b) => b[1] - a[1]).slice(0, 5);
  for (const [code, count] of top) {
    const res = await fhir.get(`Condition?code=${encodeURIComponent(code)}&_count=0`);
    expect([code, res.body.total]).toEqual([code, count]);
  }
  const byStatus = countBy(of<Condition>('Condition'), (c) => c.clinicalStatus?.coding?.[0].code);
  for (const [status, count] of byStatus) {
    const res = await fhir.get(`Condition?clinical-status=${status}&_count=0`);
    expect([status, res.body.total]).toEqual([status, count]);
  }
});

test('encounters by date range and immunizations by vaccine code match the files', async () => {
  const encounters = of<Encounter>('Encounter');
  const in2015 = encounters.filter((e) => (e.period?.start as string) >= '2015' && (e.period?.end as string) < '2016').length;
  const res = await fhir.get('Encounter?date=ge2015-01-01&date=lt2016-01-01&_count=0');
  // A period that only overlaps 2015 also matches ge/lt: count those too.
  const overlapping = encounters.filter((e) => (e.period?.end as string) >= '2015' && (e.period?.start as string) < '2016').length;
  expect(res.body.total).toBeGreaterThanOrEqual(in2015);
  expect(res.body.total).toBe(overlapping);
  const byVaccine = countBy(of<Immunization>('Immunization'), (i) => i.vaccineCode?.coding?.[0].code);
  const [vaccine, count] = [...byVaccine].sort((a, b) => b[1] - a[1])[0];
  expect((await fhir.get(`Immunization?vaccine-code=${vaccine}&_count=0`)).body.total).toBe(count);
});

test('resources read back as they were written, apart from meta', async () => {
  for (const type of byType.keys()) {
    const original = of(type)[Math.floor(of(type).length / 2)];
    const res = await fhir.get(`${type}/${original.id}`);
    expect(res.status).toBe(200);
    const { meta: _m1, ...stored } = res.body as Resource;
    const { meta: _m2, ...expected } = original;
    expect(stored).toEqual(expected);
    expect(res.body.meta.profile).toEqual(original.meta?.profile);
  }
});

test('paging through all encounters visits each exactly once', async () => {
  const pages: Bundle[] = await fhir.pages('Encounter?_count=500&_total=none');
  const seen = pages.flatMap((p) => ids(p));
  expect(seen.length).toBe(of('Encounter').length);
  expect(new Set(seen).size).toBe(seen.length);
});

test('every Encounter row records its patient compartment', async () => {
  const rows = await fhir.server.tonet.db.query<{ id: string; compartments: string[] }>(sql`SELECT id, compartments FROM resource WHERE resource_type = 'Encounter'`);
  const subject = new Map(of<Encounter>('Encounter').map((e) => [e.id, e.subject?.reference?.replace('Patient/', '')]));
  expect(rows.length).toBe(subject.size);
  for (const row of rows) expect(row.compartments).toEqual([subject.get(row.id)]);
});
