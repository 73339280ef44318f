/**
 * Search over every parameter kind the definitions give (number, date, string, token, reference, quantity,
 * uri), the resource-level parameters, modifiers and prefixes, OR and AND, chains and _has. One data set is
 * written first; each row of a table is a query and the exact set of resources it must return.
 */
import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { ids, useFhirServer } from './helpers';

const fhir = useFhirServer();
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

/** The data set by name; ids are filled in when created. */
const data: Record<string, Resource> = {
  org1: { resourceType: 'Organization', name: 'Tonet Clinic' },
  p1: {
    resourceType: 'Patient',
    name: [{ family: '山田', given: ['太郎'] }, { family: 'ヤマダ', given: ['タロウ'] }],
    gender: 'male',
    birthDate: '1970-01-01',
    identifier: [{ system: 'urn:mrn', value: '001' }],
    communication: [{ language: { text: 'Japanese' } }],
    meta: { source: 'http://facility.example/a', tag: [{ system: 'urn:tags', code: 'vip' }] },
  },
  p2: { resourceType: 'Patient', name: [{ family: 'Smith', given: ['John'] }], gender: 'male', birthDate: '1985-06', identifier: [{ system: 'urn:mrn', value: '002' }, { system: 'urn:other', value: '002' }] },
  p3: { resourceType: 'Patient', name: [{ family: 'Smithson', given: ['Anna'] }], gender: 'female', birthDate: '1990', identifier: [{ system: 'urn:mrn', value: '003' }, { value: 'nosys' }] },
  p4: { resourceType: 'Patient', name: [{ family: 'ｻﾄｳ', given: ['ﾊﾅｺ'] }], gender: 'female', birthDate: '2000-12-31' },
  p5: { resourceType: 'Patient', name: [{ family: 'Blacksmith' }], gender: 'unknown', meta: { profile: ['http://example.org/sd/special'] } },
  hr1: obs('p1', '8867-4', 'Heart rate', '心拍数', 72, '/min'),
  temp1: obs('p1', '8310-5', 'Body temperature', '体温', 37.5, 'Cel'),
  hr2: obs('p2', '8867-4', 'Heart rate', undefined, 110, '/min'),
  enc1: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: '{p1}' }, period: { start: '2020-01-01T10:00:00Z', end: '2020-01-05T10:00:00Z' } },
  enc2: { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: '{p2}' }, period: { start: '2021-03-01T00:00:00Z' } },
  ra1: { resourceType: 'RiskAssessment', status: 'final', subject: { reference: '{p1}' }, prediction: [{ probabilityDecimal: 0.2 }] },
  ra2: { resourceType: 'RiskAssessment', status: 'final', subject: { reference: '{p2}' }, prediction: [{ probabilityDecimal: 0.8 }] },
  vsA: { resourceType: 'ValueSet', status: 'active', url: 'http://example.org/vs/a/one' },
  vsB: { resourceType: 'ValueSet', status: 'active', url: 'http://example.org/vs/b/two' },
};

function obs(patient: string, code: string, display: string, text: string | undefined, value: number, unit: string): Resource {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: LOINC, code, display }], ...(text ? { text } : {}) },
    subject: { reference: `{${patient}}` },
    valueQuantity: { value, unit, system: UCUM, code: unit },
  } as Resource;
}

const idOf: Record<string, string> = {};
const nameOf = (id: string) => Object.entries(idOf).find(([, v]) => v === id)?.[0] ?? id;
let beforeAllWrites = '';

beforeAll(async () => {
  beforeAllWrites = new Date(Date.now() - 1000).toISOString();
  // p1's managing organization is org1 (for _include:iterate); references are filled in as ids become known.
  for (const [name, template] of Object.entries(data)) {
    let text = JSON.stringify(template);
    text = text.replace(/\{(\w+)\}/g, (_, key) => `${data[key].resourceType}/${idOf[key]}`);
    const resource = JSON.parse(text) as Resource;
    if (name === 'p1') (resource as { managingOrganization?: unknown }).managingOrganization = { reference: `Organization/${idOf.org1}` };
    idOf[name] = (await fhir.create(resource)).id as string;
  }
});

async function names(path: string): Promise<string[]> {
  const res = await fhir.get(path.replace(/\{(\w+)\}/g, (_, key) => idOf[key]));
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return ids(res.body).map(nameOf).sort();
}

const table = (rows: [string, string[]][]) => rows.map(([q, expected]) => [q, [...expected].sort()] as const);

describe('string', () => {
  test.each(table([
    ['Patient?family=smith', ['p2', 'p3']],
    ['Patient?family=SMITH', ['p2', 'p3']],
    ['Patient?family:exact=Smith', ['p2']],
    ['Patient?family:exact=smith', []],
    ['Patient?family:contains=smith', ['p2', 'p3', 'p5']],
    ['Patient?family:contains=MITHS', ['p3']],
    ['Patient?name=山田', ['p1']],
    ['Patient?given=太郎', ['p1']],
    ['Patient?name=山田太郎', ['p1']],
    ['Patient?name=やまだ', ['p1']],
    ['Patient?name=ヤマダ', ['p1']],
    ['Patient?name=ｻﾄｳ', ['p4']],
    ['Patient?name=サトウ', ['p4']],
    ['Patient?name=さとう', ['p4']],
    ['Patient?given=ハナコ', ['p4']],
    ['Patient?phonetic=やまだ', ['p1']],
    ['Patient?name:exact=ｻﾄｳ', ['p4']],
    ['Patient?name=%25', []],
    ['Patient?family=smith&given=anna', ['p3']],
    ['Patient?family=山田,smithson', ['p1', 'p3']],
  ]))('%s', async (query, expected) => expect(await names(query)).toEqual(expected));
});

describe('token', () => {
  test.each(table([
    ['Patient?gender=male', ['p1', 'p2']],
    ['Patient?gender=male,female', ['p1', 'p2', 'p3', 'p4']],
    ['Patient?gender:not=male', ['p3', 'p4', 'p5']],
    ['Patient?identifier=urn:mrn|001', ['p1']],
    ['Patient?identifier=002', ['p2']],
    ['Patient?identifier=urn:other|', ['p2']],
    ['Patient?identifier=|nosys', ['p3']],
    ['Patient?identifier=urn:mrn|nosys', []],
    ['Patient?identifier=urn:mrn|001,urn:mrn|003', ['p1', 'p3']],
    ['Observation?code=8867-4', ['hr1', 'hr2']],
    ['Observation?code=http://loinc.org|8867-4', ['hr1', 'hr2']],
    ['Observation?code=http://snomed.info/sct|8867-4', []],
    ['Observation?code:text=heart', ['hr1', 'hr2']],
    ['Observation?code:text=心拍', ['hr1']],
    ['Observation?code:not=8867-4', ['temp1']],
    // combo-code is read from the code rows (layout.ts): no copy of them is stored.
    ['Observation?combo-code=8867-4', ['hr1', 'hr2']],
    ['Observation?combo-code:text=心拍', ['hr1']],
    ['Observation?combo-code:missing=true', []],
    ['Encounter?status=finished', ['enc1']],
    ['Encounter?class=IMP', ['enc2']],
  ]))('%s', async (query, expected) => expect(await names(query)).toEqual(expected));
});

describe('date', () => {
  test.each(table([
    ['Patient?birthdate=1970', ['p1']],
    ['Patient?birthdate=eq1970-01-01', ['p1']],
    ['Patient?birthdate=1985', ['p2']],
    ['Patient?birthdate=1985-06', ['p2']],
    ['Patient?birthdate=1985-06-15', []],
    ['Patient?birthdate=ne1970', ['p2', 'p3', 'p4']],
    ['Patient?birthdate=gt1985', ['p3', 'p4']],
    ['Patient?birthdate=lt1985-06-15', ['p1', 'p2']],
    ['Patient?birthdate=ge1990', ['p3', 'p4']],
    ['Patient?birthdate=le1970-01-01', ['p1']],
    ['Patient?birthdate=sa1985', ['p3', 'p4']],
    ['Patient?birthdate=eb1990', ['p1', 'p2']],
    ['Patient?birthdate=ap1990', ['p3']],
    ['Patient?birthdate=ge1980&birthdate=lt1995', ['p2', 'p3']],
    ['Patient?birthdate=1970,2000', ['p1', 'p4']],
    ['Patient?birthdate=2000-12-31T00:00:00Z', []],
    ['Encounter?date=2020-01-03', []],
    ['Encounter?date=2020-01', ['enc1']],
    ['Encounter?date=ge2020-01-03', ['enc1', 'enc2']],
    ['Encounter?date=sa2019', ['enc1', 'enc2']],
    ['Encounter?date=eb2021', ['enc1']],
    ['Encounter?date=gt2030', ['enc2']],
    ['Encounter?date=lt2021-01-01', ['enc1']],
    ['Encounter?date=ap2020-01-03', ['enc1']],
  ]))('%s', async (query, expected) => expect(await names(query)).toEqual(expected));
});

describe('number, quantity, uri', () => {
  test.each(table([
    ['RiskAssessment?probability=0.2', ['ra1']],
    ['RiskAssessment?probability=gt0.5', ['ra2']],
    ['RiskAssessment?probability=le0.8', ['ra1', 'ra2']],
    ['RiskAssessment?probability=ne0.2', ['ra2']],
    ['Observation?value-quantity=72', ['hr1']],
    ['Observation?value-quantity=gt100', ['hr2']],
    ['Observation?value-quantity=le72', ['hr1', 'temp1']],
    ['Observation?value-quantity=le72|http://unitsofmeasure.org|/min', ['hr1']],
    ['Observation?value-quantity=37.5||Cel', ['temp1']],
    ['Observation?value-quantity=37.5|http://unitsofmeasure.org|Cel', ['temp1']],
    ['Observation?value-quantity=ap70', ['hr1']],
    ['Observation?value-quantity=lt100&value-quantity=gt50', ['hr1']],
    ['Observation?combo-value-quantity=gt100', ['hr2']],
    // A code and a value together are answered from the (code, value) pairs of one resource.
    ['Observation?code=8867-4&value-quantity=gt100', ['hr2']],
    ['Observation?code=http://loinc.org|8867-4&value-quantity=gt50', ['hr1', 'hr2']],
    ['Observation?code=8310-5&value-quantity=gt100', []],
    ['Observation?code=8867-4,8310-5&value-quantity=lt80', ['hr1', 'temp1']],
    ['Observation?code=8867-4&value-quantity=le72|http://unitsofmeasure.org|/min', ['hr1']],
    ['Observation?code=8867-4&value-quantity=lt100&value-quantity=gt50', ['hr1']],
    ['Observation?code:not=8867-4&value-quantity=gt30', ['temp1']],
    ['Observation?code:text=体温&value-quantity=gt30', ['temp1']],
    ['Observation?code=8867-4&value-quantity:missing=false', ['hr1', 'hr2']],
    ['Observation?code=8867-4&value-quantity=gt100&subject=Patient/{p1}', []],
    ['ValueSet?url=http://example.org/vs/a/one', ['vsA']],
    ['ValueSet?url=http://example.org/vs/a', []],
    ['ValueSet?url:below=http://example.org/vs/a', ['vsA']],
  ]))('%s', async (query, expected) => expect(await names(query)).toEqual(expected));
});

describe('reference, chains and _has', () => {
  test.each(table([
    ['Observation?subject=Patient/{p1}', ['hr1', 'temp1']],
    ['Observation?subject={p1}', ['hr1', 'temp1']],
    ['Observation?subject:Patient={p2}', ['hr2']],
    ['Observation?patient=Patient/{p2}', ['hr2']],
    ['Observation?patient={p2}', ['hr2']],
    ['Encounter?patient=Patient/{p1}', ['enc1']],
    ['Observation?patient:missing=true', []],
    ['Patient?_has:Encounter:patient:status=in-progress', ['p2']],
    ['Observation?subject=Patient/{p1},Patient/{p2}', ['hr1', 'temp1', 'hr2']],
    ['Observation?subject:Patient.name=山田', ['hr1', 'temp1']],
    ['Observation?subject:Patient.name=smith', ['hr2']],
    ['Observation?subject.gender=female', []],
    ['Observation?patient.identifier=urn:mrn|002', ['hr2']],
    ['Patient?_has:Observation:patient:code=8310-5', ['p1']],
    ['Patient?_has:Observation:subject:value-quantity=gt100', ['p2']],
    // A search naming a patient starts from that patient's rows; the other filters hold as they do alone.
    ['Observation?subject=Patient/{p1}&code=8867-4', ['hr1']],
    ['Observation?patient={p1}&value-quantity=gt50', ['hr1']],
    ['Observation?subject=Patient/{p1}&code=8867-4&value-quantity=gt100', []],
    ['Observation?subject=Patient/{p2}&code=8867-4&value-quantity=gt100', ['hr2']],
    ['Observation?subject=Patient/{p1},Patient/{p2}&code=8867-4', ['hr1', 'hr2']],
    ['Observation?subject=Patient/{p1}&code:not=8867-4', ['temp1']],
    ['Observation?subject=Patient/{p1}&_id={hr1},{hr2}', ['hr1']],
    ['Observation?subject=Patient/{p1}&subject.gender=male', ['hr1', 'temp1']],
    ['Observation?subject=Patient/{p2}&value-quantity:missing=true', []],
    ['Observation?subject:Patient={p2}&code=8310-5', []],
    ['Patient?organization=Organization/{org1}', ['p1']],
  ]))('%s', async (query, expected) => expect(await names(query)).toEqual(expected));
});

describe('resource-level parameters', () => {
  test.each(table([
    ['Patient?_id={p1},{p2}', ['p1', 'p2']],
    ['Patient?_id:not={p1}', ['p2', 'p3', 'p4', 'p5']],
    ['Patient?_tag=vip', ['p1']],
    ['Patient?_tag=urn:tags|vip', ['p1']],
    ['Patient?_profile=http://example.org/sd/special', ['p5']],
    ['Patient?_source=http://facility.example/a', ['p1']],
    ['Patient?_lastUpdated=gt2000-01-01', ['p1', 'p2', 'p3', 'p4', 'p5']],
    ['Patient?_lastUpdated=lt2000-01-01', []],
  ]))('%s', async (query, expected) => expect(await names(query)).toEqual(expected));

  test('_lastUpdated brackets the writes', async () => {
    expect(await names(`Patient?_lastUpdated=ge${encodeURIComponent(beforeAllWrites)}`)).toHaveLength(5);
    expect(await names(`Patient?_lastUpdated=lt${encodeURIComponent(beforeAllWrites)}`)).toHaveLength(0);
  });
});

describe('system search and POST _search', () => {
  test('GET /fhir?_type= searches several types', async () => {
    const res = await fhir.get('?_type=Patient,Observation&_count=100');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(8);
    expect(ids(res.body).map(nameOf).sort()).toEqual(['hr1', 'hr2', 'p1', 'p2', 'p3', 'p4', 'p5', 'temp1']);
  });

  test('system search with a shared parameter', async () => {
    const res = await fhir.get(`?_type=Observation,Encounter,RiskAssessment&subject=Patient/${idOf.p2}`);
    expect(ids(res.body).map(nameOf).sort()).toEqual(['enc2', 'hr2', 'ra2']);
  });

  test('system search with a parameter each type reads from its subject rows', async () => {
    const res = await fhir.get(`?_type=Observation,Encounter,RiskAssessment&patient=Patient/${idOf.p2}`);
    expect(ids(res.body).map(nameOf).sort()).toEqual(['enc2', 'hr2', 'ra2']);
  });

  test('POST Patient/_search with a form body matches GET', async () => {
    const res = await request(fhir.server.url)
      .post('/fhir/Patient/_search')
      .set('Authorization', `Bearer ${fhir.server.adminToken}`)
      .type('form')
      .send({ family: 'smith', gender: 'female' });
    expect(res.status).toBe(200);
    expect(ids(res.body).map(nameOf)).toEqual(['p3']);
  });

  test('POST /fhir/_search with _type in the form body', async () => {
    const res = await request(fhir.server.url)
      .post('/fhir/_search')
      .set('Authorization', `Bearer ${fhir.server.adminToken}`)
      .type('form')
      .send({ _type: 'Patient', gender: 'male' });
    expect(res.status).toBe(200);
    expect(ids(res.body).map(nameOf).sort()).toEqual(['p1', 'p2']);
  });
});

describe('a code and a value asked together follow updates and deletes', () => {
  test('the pairs of an updated Observation are its new ones, and a deleted one has none', async () => {
    const code = 'urn:tonet:test|pair-follow';
    const created = await fhir.create({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'urn:tonet:test', code: 'pair-follow' }] }, valueQuantity: { value: 5 } } as Resource);
    const found = async (query: string) => ids((await fhir.get(`Observation?code=${encodeURIComponent(code)}&${query}`)).body);
    expect(await found('value-quantity=gt4')).toEqual([created.id]);
    expect((await fhir.put(`Observation/${created.id}`, { ...created, valueQuantity: { value: 3 } })).status).toBe(200);
    expect(await found('value-quantity=gt4')).toEqual([]);
    expect(await found('value-quantity=lt4')).toEqual([created.id]);
    expect((await fhir.delete(`Observation/${created.id}`)).status).toBeLessThan(300);
    expect(await found('value-quantity=lt4')).toEqual([]);
  });
});

describe('errors', () => {
  test.each([
    'Patient?foo=bar',
    'Patient?family:frob=x',
    'Patient?birthdate=notadate',
    'Patient?birthdate=xx1970',
    'RiskAssessment?probability=abc',
    'Patient?_sort=foo',
    'Patient?_count=abc',
    'Patient?_total=some',
    'Patient?_summary=maybe',
    'Patient?_include=Patient:nothing',
    'Observation?subject:Patient.nothing=x',
    'Patient?_has:Observation:nothing:code=x',
    '?_type=Nope',
    '?gender=male',
  ])('%s is 400 with an OperationOutcome', async (query) => {
    const res = await fhir.get(query);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].severity).toBe('error');
  });
});
