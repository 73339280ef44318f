/**
 * Every write is validated against the R4 StructureDefinitions and required bindings, and every kind of bad
 * request is a clear 4xx OperationOutcome, never a 500: malformed JSON, wrong resourceType, ids that do not
 * match the URL, bodies over TONET_BODY_LIMIT.
 */
import request from 'supertest';
import { useFhirServer } from './helpers';

const BODY_LIMIT = 20_000;
const fhir = useFhirServer({ TONET_BODY_LIMIT: String(BODY_LIMIT) });

const expectOutcome = (res: request.Response, status: number | number[], expression?: string) => {
  expect(Array.isArray(status) ? status : [status]).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue.length).toBeGreaterThan(0);
  if (expression) expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain(expression);
};

describe('structure and bindings', () => {
  test.each([
    ['a missing required element', 'Observation', { resourceType: 'Observation', code: { text: 'x' } }, 400, 'Observation.status'],
    ['too many values (max 1)', 'Patient', { resourceType: 'Patient', gender: ['male', 'female'] }, 400, 'Patient.gender'],
    ['a list where one value belongs', 'Observation', { resourceType: 'Observation', status: 'final', code: [{ text: 'x' }] }, 400, 'Observation.code'],
    ['a single value where a list belongs', 'Patient', { resourceType: 'Patient', name: { family: 'X' } }, 400, 'Patient.name'],
    ['a string where a boolean belongs', 'Patient', { resourceType: 'Patient', active: 'yes' }, 400, 'Patient.active'],
    ['a malformed date', 'Patient', { resourceType: 'Patient', birthDate: '1970-13-01' }, 400, 'Patient.birthDate'],
    ['an unknown element', 'Patient', { resourceType: 'Patient', nickname: 'Taro' }, 400, 'Patient.nickname'],
    ['a code outside a required binding', 'Patient', { resourceType: 'Patient', gender: 'robot' }, 422, 'Patient.gender'],
    ['an unknown Observation.status', 'Observation', { resourceType: 'Observation', status: 'done', code: { text: 'x' } }, 422, 'Observation.status'],
    ['a nested required binding', 'Patient', { resourceType: 'Patient', contact: [{ name: { family: 'C' }, gender: 'robot' }] }, 422, 'Patient.contact[0].gender'],
    ['a required binding in a data type', 'Patient', { resourceType: 'Patient', telecom: [{ system: 'pager-ish', value: '1' }] }, 422, 'Patient.telecom[0].system'],
    ['a bad Quantity comparator', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 1, comparator: '~' } }, 422, 'Observation.valueQuantity.comparator'],
    ['a bad code in a contained resource', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, contained: [{ resourceType: 'Patient', id: 'c', gender: 'robot' }] }, 422, 'Observation.contained[0].gender'],
  ])('%s is rejected on create and update', async (_label, type, body, status, expression) => {
    expectOutcome(await fhir.post(type, body), status, expression);
    expectOutcome(await fhir.put(`${type}/v-${status}`, { ...body, id: `v-${status}` }), status, expression);
    expect((await fhir.get(`${type}/v-${status}`)).status).toBe(404);
  });

  test.each([
    ['every gender', ['male', 'female', 'other', 'unknown'].map((gender) => ({ resourceType: 'Patient', gender }))],
    ['a code from another system in a required CodeableConcept is a translation', [{ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'urn:local', code: 'x' }] } }]],
    ['an unenumerable ValueSet (MIME types) is not guessed', [{ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/x-unusual' } }] }]],
  ])('valid codes pass: %s', async (_label, bodies) => {
    for (const body of bodies) expect((await fhir.post(body.resourceType, body)).status).toBe(201);
  });
});

describe('bad requests', () => {
  const raw = (method: 'post' | 'put', path: string, body: string, type = 'application/fhir+json') =>
    request(fhir.server.url)[method](`/fhir/${path}`).set('Authorization', `Bearer ${fhir.server.adminToken}`).set('Content-Type', type).send(body);

  test.each([
    ['malformed JSON', () => raw('post', 'Patient', '{"resourceType": "Patient",'), 400],
    ['JSON that is not an object', () => raw('post', 'Patient', '[1,2,3]'), 400],
    ['a JSON string', () => raw('post', 'Patient', '"Patient"'), 400],
    ['an empty body', () => raw('post', 'Patient', ''), 400],
    ['no resourceType', () => raw('post', 'Patient', '{"gender":"male"}'), 400],
    ['another resourceType', () => raw('post', 'Patient', '{"resourceType":"Observation","status":"final","code":{"text":"x"}}'), 400],
    ['an unknown resourceType on a known URL', () => raw('post', 'Patient', '{"resourceType":"Patientx"}'), 400],
    ['an unknown resource type in the URL', () => raw('post', 'Patientx', '{"resourceType":"Patientx"}'), [400, 404]],
    ['an id that does not match the URL', () => raw('put', 'Patient/abc', '{"resourceType":"Patient","id":"xyz"}'), 400],
    ['an invalid id', () => raw('put', 'Patient/bad_id!', '{"resourceType":"Patient","id":"bad_id!"}'), 400],
    ['an id longer than 64 characters', () => raw('put', `Patient/${'a'.repeat(65)}`, `{"resourceType":"Patient","id":"${'a'.repeat(65)}"}`), 400],
    ['a body over the limit', () => raw('post', 'Patient', JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(BODY_LIMIT) }] })), 413],
    ['XML', () => raw('post', 'Patient', '<Patient xmlns="http://hl7.org/fhir"/>', 'application/fhir+xml'), 415],
    ['a form body on create', () => raw('post', 'Patient', 'gender=male', 'application/x-www-form-urlencoded'), [400, 415]],
  ] as [string, () => request.Test, number | number[]][])('%s', async (_label, send, status) => {
    expectOutcome(await send(), status);
  });

  test.each([
    ['DELETE on the base', 'delete', ''],
    ['PATCH on a type', 'patch', 'Patient'],
    ['POST on an instance', 'post', 'Patient/abc'],
    ['GET on an unknown operation', 'get', 'Patient/$nothing'],
  ] as const)('%s is a 4xx OperationOutcome', async (_label, method, path) => {
    const res = await request(fhir.server.url)[method](`/fhir/${path}`).set('Authorization', `Bearer ${fhir.server.adminToken}`).set('Content-Type', 'application/fhir+json').send(method === 'get' || method === 'delete' ? undefined : '{"resourceType":"Patient"}');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('a body just under the limit is accepted', async () => {
    const body = JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(BODY_LIMIT - 200) }] });
    expect(body.length).toBeLessThan(BODY_LIMIT);
    expect((await raw('post', 'Patient', body)).status).toBe(201);
  });
});
