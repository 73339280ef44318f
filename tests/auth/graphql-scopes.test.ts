/**
 * SMART scopes hold under GraphQL as under REST: a resident's app granted `patient/Observation.rs` reads the
 * resident's Observations through FHIR GraphQL and `labTrend`, and gets 403s for a Condition — asked for at the
 * root, searched, or reached through a reference — and for domain fields that read other types.
 */
import { createAccount, createAsAdmin, logInOverHttp, registerApp } from './support';
import { graphql } from '../transports/graphql/support';
import { buildDomainSchema } from '../../src/transports/graphql/server';
import { DOMAIN_FIELD_SCOPES } from '../../src/transports/graphql/scopes';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
let patientId: string;
let conditionId: string;
let token: string;
let unscoped: string;

beforeAll(async () => {
  server = await startTestServer();
  patientId = (await createAsAdmin(server, { resourceType: 'Patient', name: [{ family: 'Yamada' }], birthDate: '1950-04-01' })).id;
  const residentClient = await server.clientToken({ role: 'resident', patient: `Patient/${patientId}` });
  const own = await fetch(`${server.url}/fhir/Observation`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${residentClient}` },
    body: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'BP' }, subject: { reference: `Patient/${patientId}` } }),
  });
  expect(own.status).toBe(201);
  const condition = await fetch(`${server.url}/fhir/Condition`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${residentClient}` },
    body: JSON.stringify({ resourceType: 'Condition', subject: { reference: `Patient/${patientId}` }, code: { text: 'hypertension' } }),
  });
  // Residents may not record Conditions; the office's one is not the resident's to read either way, so
  // the refusals below are the scopes' and not consent's: the unscoped resident token shows the difference.
  expect(condition.status).toBe(403);
  const bp = await createAsAdmin(server, { resourceType: 'Condition', subject: { reference: `Patient/${patientId}` }, code: { text: 'hypertension' }, meta: { source: `Patient/${patientId}` } });
  conditionId = bp.id;
  unscoped = residentClient;
  const resident = await createAccount(server, { kind: 'resident', username: 'yamada.gq', name: '山田', patient: `Patient/${patientId}` });
  const redirectUri = `${server.url}/gq-app/`;
  const clientId = await registerApp(server, 'GraphQL app', redirectUri);
  token = (await logInOverHttp(server, { ...resident, clientId, redirectUri, scope: 'openid launch/patient patient/Observation.rs' })).access_token;
});
afterAll(async () => server?.close());

test('Observations are read through FHIR GraphQL and labTrend under patient/Observation.rs', async () => {
  const list = await graphql(server, token, `{ ObservationList(subject: "Patient/${patientId}") { id code { text } } }`);
  expect(list.errors).toBeUndefined();
  expect(list.data.ObservationList.map((o: { code: { text: string } }) => o.code.text)).toEqual(['BP']);
  const trend = await graphql(server, token, `{ labTrend(patientId: "${patientId}", code: "BP") { code } }`);
  expect(trend.errors).toBeUndefined();
});

test('a Condition is refused at the root, in a search, and behind a reference; so are domain fields reading other types', async () => {
  const read = await graphql(server, token, `{ Condition(id: "${conditionId}") { id } }`);
  expect(read.errors?.[0]).toMatchObject({ message: expect.stringMatching(/scopes do not allow read on Condition/), extensions: { status: 403 } });
  expect(read.data?.Condition ?? null).toBeNull();

  const search = await graphql(server, token, `{ ConditionList(subject: "Patient/${patientId}") { id } }`);
  expect(search.errors?.[0]).toMatchObject({ message: expect.stringMatching(/scopes do not allow search on Condition/) });

  const reverse = await graphql(server, token, `{ ObservationList(subject: "Patient/${patientId}") { subject { resource { ... on Patient { id } } } } }`);
  expect(reverse.errors?.[0].message).toMatch(/scopes do not allow read on Patient/);

  const timeline = await graphql(server, token, `{ patientTimeline(patientId: "${patientId}") { edges { kind } } }`);
  expect(timeline.errors?.[0]).toMatchObject({ message: expect.stringMatching(/do not allow read on Patient|do not allow search on/), extensions: { status: 403 } });

  const write = await graphql(server, token, `mutation { ObservationCreate(res: { resourceType: "Observation", status: "final", code: { text: "x" }, subject: { reference: "Patient/${patientId}" } }) { id } }`);
  expect(write.errors?.[0].message).toMatch(/do not allow create on Observation/);
});

test('without SMART scopes (a client-credentials resident token) the consent service alone decides', async () => {
  const read = await graphql(server, unscoped, `{ Condition(id: "${conditionId}") { code { text } } }`);
  expect(read.errors).toBeUndefined();
  expect(read.data.Condition.code.text).toBe('hypertension');
});

test('every root field of the domain schema says which interactions it stands for', () => {
  const schema = buildDomainSchema();
  const rootFields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => Object.keys(type?.getFields() ?? {}));
  expect(rootFields.filter((field) => !(field in DOMAIN_FIELD_SCOPES))).toEqual([]);
  expect(Object.keys(DOMAIN_FIELD_SCOPES).filter((field) => !rootFields.includes(field))).toEqual([]);
});
