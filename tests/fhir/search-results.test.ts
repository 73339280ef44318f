/**
 * What a search returns besides the matches: _sort on several keys, keyset paging with next/previous links that
 * stay right while rows are inserted between page fetches, _total, _summary, _elements, _include and
 * _revinclude (with :iterate).
 */
import type { Bundle, Observation, Organization, Patient, Practitioner } from '@medplum/fhirtypes';
import { ids, linkPath, nextPath, uniqueTag, useFhirServer } from './helpers';

const fhir = useFhirServer();
const SUBSETTED = 'SUBSETTED';

describe('_sort', () => {
  const tag = uniqueTag();
  const people: [string, string, Patient['gender']][] = [
    ['Abe', '1980-01-01', 'male'],
    ['Baba', '1975-05-05', 'female'],
    ['Chiba', '1990-09-09', 'male'],
    ['Doi', '1975-05-05', 'male'],
    ['Endo', '2001-01-01', 'female'],
  ];
  beforeAll(async () => {
    for (const [family, birthDate, gender] of people) await fhir.create<Patient>({ resourceType: 'Patient', meta: { tag: [{ code: tag }] }, name: [{ family }], birthDate, gender });
  });
  const families = async (sort: string) => {
    const res = await fhir.get(`Patient?_tag=${tag}&_sort=${sort}`);
    expect(res.status).toBe(200);
    return (res.body as Bundle<Patient>).entry?.map((e) => e.resource?.name?.[0].family);
  };

  test.each([
    ['family', ['Abe', 'Baba', 'Chiba', 'Doi', 'Endo']],
    ['-family', ['Endo', 'Doi', 'Chiba', 'Baba', 'Abe']],
    ['birthdate,family', ['Baba', 'Doi', 'Abe', 'Chiba', 'Endo']],
    ['birthdate,-family', ['Doi', 'Baba', 'Abe', 'Chiba', 'Endo']],
    ['-birthdate,family', ['Endo', 'Chiba', 'Abe', 'Baba', 'Doi']],
    ['gender,-birthdate', ['Endo', 'Baba', 'Chiba', 'Abe', 'Doi']],
  ])('_sort=%s', async (sort, expected) => expect(await families(sort)).toEqual(expected));

  test('sorted pages walked forward and back give the same order', async () => {
    const pages = await fhir.pages(`Patient?_tag=${tag}&_sort=-birthdate,family&_count=2`);
    const forward = pages.flatMap((p) => p.entry?.map((e) => (e.resource as Patient).name?.[0].family));
    expect(forward).toEqual(['Endo', 'Chiba', 'Abe', 'Baba', 'Doi']);
    const last = pages[pages.length - 1];
    const previous = await fhir.get(linkPath(last, 'previous') as string);
    expect((previous.body as Bundle<Patient>).entry?.map((e) => e.resource?.name?.[0].family)).toEqual(['Abe', 'Baba']);
    expect(linkPath(pages[0], 'previous')).toBeUndefined();
  });
});

describe('paging while data changes', () => {
  test('rows inserted between page fetches are neither skipped nor repeated (default order)', async () => {
    const tag = uniqueTag();
    const make = (n: number) => fhir.create<Patient>({ resourceType: 'Patient', meta: { tag: [{ code: tag }] }, name: [{ family: `Page${n}` }] });
    const before: string[] = [];
    for (let i = 0; i < 7; i++) before.push((await make(i)).id as string);
    const seen: string[] = [];
    const after: string[] = [];
    let next: string | undefined = `Patient?_tag=${tag}&_count=3`;
    let n = 100;
    while (next) {
      const page = (await fhir.get(next)).body as Bundle;
      seen.push(...ids(page));
      after.push((await make(n++)).id as string);
      next = nextPath(page);
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    // Rows inserted while reading come after the cursor in the default (insertion) order, so they are reached too.
    expect(seen.filter((id) => after.includes(id)).length).toBeGreaterThan(0);
  });

  test('sorted paging: rows inserted before and after the cursor position, and deletions, never cause repeats or skips', async () => {
    const tag = uniqueTag();
    const make = (family: string) => fhir.create<Patient>({ resourceType: 'Patient', meta: { tag: [{ code: tag }] }, name: [{ family }] });
    const original = ['B', 'D', 'F', 'H', 'J', 'L'];
    const idByFamily = new Map<string, string>();
    for (const f of original) idByFamily.set(f, (await make(f)).id as string);
    const first = (await fhir.get(`Patient?_tag=${tag}&_sort=family&_count=2`)).body as Bundle<Patient>;
    const seen = first.entry?.map((e) => e.resource?.name?.[0].family) as string[];
    expect(seen).toEqual(['B', 'D']);
    await make('A'); // before the cursor: must not appear
    await make('E'); // after the cursor: must appear in order
    await fhir.delete(`Patient/${idByFamily.get('F')}`); // not yet read: must not appear
    let next = nextPath(first);
    while (next) {
      const page = (await fhir.get(next)).body as Bundle<Patient>;
      seen.push(...(page.entry?.map((e) => e.resource?.name?.[0].family) as string[]));
      next = nextPath(page);
    }
    expect(seen).toEqual(['B', 'D', 'E', 'H', 'J', 'L']);
  });

  test('a tampered cursor is 400', async () => {
    const res = await fhir.get('Patient?_cursor=not-a-cursor');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('_total, _count, _summary and _elements', () => {
  const tag = uniqueTag();
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      await fhir.create<Patient>({
        resourceType: 'Patient',
        meta: { tag: [{ code: tag }] },
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Patient</div>' },
        name: [{ family: `Sum${i}` }],
        gender: 'other',
        maritalStatus: { text: 'single' },
        communication: [{ language: { text: 'ja' } }],
      });
    }
  });
  const search = async (extra: string) => {
    const res = await fhir.get(`Patient?_tag=${tag}&${extra}`);
    expect(res.status).toBe(200);
    return res.body as Bundle<Patient>;
  };

  test.each([
    ['_total=accurate', 3],
    ['_total=estimate', 3],
    ['_total=none', undefined],
  ])('%s', async (param, total) => {
    const bundle = await search(param);
    expect(bundle.total).toBe(total);
    expect(bundle.entry).toHaveLength(3);
  });

  test('_count limits the page and _total=accurate still counts all', async () => {
    const bundle = await search('_count=2&_total=accurate');
    expect(bundle.entry).toHaveLength(2);
    expect(bundle.total).toBe(3);
    expect(nextPath(bundle)).toBeDefined();
  });

  test('without _total nothing is counted beyond the page: no total on a partial page, the next link still leads to the rest', async () => {
    const bundle = await search('_count=2');
    expect(bundle.entry).toHaveLength(2);
    expect(bundle.total).toBeUndefined();
    const rest = await fhir.get(nextPath(bundle) as string);
    expect(rest.body.entry).toHaveLength(1);
    expect(nextPath(rest.body)).toBeUndefined();
    // A first page that holds every match knows its total without counting.
    expect((await search('_count=5')).total).toBe(3);
  });

  test('_count=0 and _summary=count give the total without entries', async () => {
    for (const param of ['_count=0', '_summary=count']) {
      const bundle = await search(param);
      expect(bundle.total).toBe(3);
      expect(bundle.entry ?? []).toHaveLength(0);
    }
  });

  test('_summary=true keeps summary elements only, marked SUBSETTED', async () => {
    const p = (await search('_summary=true')).entry?.[0].resource as Patient;
    expect(p.name).toBeDefined();
    expect(p.gender).toBe('other');
    expect(p.maritalStatus).toBeUndefined();
    expect(p.communication).toBeUndefined();
    expect(p.text).toBeUndefined();
    expect(p.meta?.tag?.map((t) => t.code)).toContain(SUBSETTED);
  });

  test('_summary=text keeps text, id and meta', async () => {
    const p = (await search('_summary=text')).entry?.[0].resource as Patient;
    expect(p.text?.div).toContain('Patient');
    expect(p.id).toBeDefined();
    expect(p.name).toBeUndefined();
    expect(p.meta?.tag?.map((t) => t.code)).toContain(SUBSETTED);
  });

  test('_summary=data drops text only', async () => {
    const p = (await search('_summary=data')).entry?.[0].resource as Patient;
    expect(p.text).toBeUndefined();
    expect(p.maritalStatus?.text).toBe('single');
    expect(p.communication).toHaveLength(1);
  });

  test('_summary=false returns whole resources', async () => {
    const p = (await search('_summary=false')).entry?.[0].resource as Patient;
    expect(p.text).toBeDefined();
    expect(p.meta?.tag?.map((t) => t.code)).not.toContain(SUBSETTED);
  });

  test('_elements keeps the named elements plus id and meta', async () => {
    const p = (await search('_elements=gender,maritalStatus')).entry?.[0].resource as Patient;
    expect(Object.keys(p).sort()).toEqual(['gender', 'id', 'maritalStatus', 'meta', 'resourceType']);
    expect(p.meta?.tag?.map((t) => t.code)).toContain(SUBSETTED);
  });

  test('links keep the search parameters', async () => {
    const bundle = await search('_count=1&_elements=gender');
    const next = nextPath(bundle) as string;
    expect(next).toContain(`_tag=${tag}`);
    expect(next).toContain('_elements=gender');
    const page2 = (await fhir.get(next)).body as Bundle<Patient>;
    expect(Object.keys(page2.entry?.[0].resource ?? {})).not.toContain('name');
  });
});

describe('_include and _revinclude', () => {
  const names: Record<string, string> = {};
  const label = (b: Bundle, mode: 'match' | 'include') => ids(b, mode).map((id) => names[id] ?? id).sort();
  let patientId = '';
  beforeAll(async () => {
    const org = await fhir.create<Organization>({ resourceType: 'Organization', name: 'Inc Org' });
    const gp = await fhir.create<Practitioner>({ resourceType: 'Practitioner', name: [{ family: 'Inc GP' }] });
    const patient = await fhir.create<Patient>({
      resourceType: 'Patient',
      name: [{ family: 'IncPatient' }],
      managingOrganization: { reference: `Organization/${org.id}` },
      generalPractitioner: [{ reference: `Practitioner/${gp.id}` }],
    });
    patientId = patient.id as string;
    const obs = (code: string) =>
      fhir.create<Observation>({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'urn:inc', code }] }, subject: { reference: `Patient/${patient.id}` }, performer: [{ reference: `Practitioner/${gp.id}` }] });
    const o1 = await obs('inc-a');
    const o2 = await obs('inc-b');
    Object.assign(names, { [org.id as string]: 'org', [gp.id as string]: 'gp', [patient.id as string]: 'patient', [o1.id as string]: 'o1', [o2.id as string]: 'o2' });
  });

  test.each([
    ['Observation?code=urn:inc|inc-a&_include=Observation:subject', ['o1'], ['patient']],
    ['Observation?code=urn:inc|inc-a&_include=Observation:subject:Patient', ['o1'], ['patient']],
    ['Observation?code=urn:inc|inc-a&_include=Observation:subject:Group', ['o1'], []],
    ['Observation?code=urn:inc|inc-a&_include=Observation:subject&_include=Observation:performer', ['o1'], ['gp', 'patient']],
    ['Observation?code=urn:inc|inc-a&_include=Observation:subject&_include=Patient:organization', ['o1'], ['patient']],
    ['Observation?code=urn:inc|inc-a&_include=Observation:subject&_include:iterate=Patient:organization', ['o1'], ['org', 'patient']],
    ['Patient?name=IncPatient&_revinclude=Observation:subject', ['patient'], ['o1', 'o2']],
    ['Patient?name=IncPatient&_revinclude=Observation:subject&_include:iterate=Observation:performer', ['patient'], ['gp', 'o1', 'o2']],
    ['Organization?name=Inc Org&_revinclude=Patient:organization&_revinclude:iterate=Observation:subject', ['org'], ['o1', 'o2', 'patient']],
  ])('%s', async (query, matches, included) => {
    const res = await fhir.get(query);
    expect(res.status).toBe(200);
    expect(label(res.body, 'match')).toEqual(matches);
    expect(label(res.body, 'include')).toEqual(included);
    expect(res.body.total).toBe(matches.length);
  });

  test('a deleted resource is not included', async () => {
    const temp = await fhir.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'tmp' }, subject: { reference: `Patient/${patientId}` } });
    await fhir.delete(`Observation/${temp.id}`);
    const res = await fhir.get(`Patient?_id=${patientId}&_revinclude=Observation:subject`);
    expect(ids(res.body, 'include')).not.toContain(temp.id);
  });
});
