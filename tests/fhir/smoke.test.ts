import request from 'supertest';
import { startTestServer, TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

test('create, read, search a Japanese patient', async () => {
  const auth = { Authorization: `Bearer ${server.adminToken}` };
  const created = await request(server.url)
    .post('/fhir/Patient')
    .set(auth)
    .set('Content-Type', 'application/fhir+json')
    .send({ resourceType: 'Patient', name: [{ family: '山田', given: ['太郎'] }, { family: 'ヤマダ', given: ['タロウ'] }], birthDate: '1970-01-01', gender: 'male' });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const read = await request(server.url).get(`/fhir/Patient/${id}`).set(auth);
  expect(read.status).toBe(200);
  expect(read.body.name[0].family).toBe('山田');
  const byKana = await request(server.url).get('/fhir/Patient').query({ name: 'やまだ' }).set(auth);
  expect(byKana.status).toBe(200);
  expect(byKana.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([id]);
  const byFull = await request(server.url).get('/fhir/Patient').query({ name: '山田太郎' }).set(auth);
  expect(byFull.body.total).toBe(1);
});
