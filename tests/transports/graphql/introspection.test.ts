/**
 * The standard introspection query — what /graphiql and other GraphQL tools send — against the server as
 * `npm start` runs it, under the shipped heap bound. It used to exhaust the heap and kill the process.
 */
import { getIntrospectionQuery } from 'graphql';
import { isIntrospectionOnly } from '../../../src/transports/graphql/introspection';
import { ShippedServer, startShippedServer } from '../../support/shipped-server';

let server: ShippedServer;

beforeAll(async () => {
  server = await startShippedServer();
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

/** The introspection query the /graphiql page sends, from the settings it carries. */
async function pageIntrospectionQuery(): Promise<string> {
  const html = await (await fetch(`${server.url}/graphiql`)).text();
  const config = html.match(/<script type="application\/json" id="explorer-config">(.*?)<\/script>/s)?.[1];
  return (JSON.parse(config ?? '{}') as { introspectionQuery: string }).introspectionQuery;
}

test('three GraphiQL pages opening their documentation at once all get the schema, and the server lives on', async () => {
  const token = await server.adminToken();
  const query = await pageIntrospectionQuery();
  expect(query).toBe(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }));
  const introspect = () =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { data?: { __schema: { types: { name: string }[] } } } }));
  const answers = await Promise.all([introspect(), introspect(), introspect()]);
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    const names = answer.body.data!.__schema.types.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['Patient', 'Observation', 'Query']));
  }
  expect(server.process.exitCode).toBeNull();
  expect(server.stderr()).not.toMatch(/heap out of memory/);
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);
}, 180_000);

test('reverse references take their further search parameters as one REST query string', async () => {
  const token = await server.adminToken();
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ id: string }>);
  const patient = await post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '利根' }] });
  for (const code of ['4548-4', '2345-7']) {
    await post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: `Patient/${patient.id}` } });
  }
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `{ Patient(id: "${patient.id}") { ObservationList(_reference: "subject", _search: "code=http://loinc.org|4548-4") { code { coding { code } } } } }` }),
  });
  const answer = (await res.json()) as { data: { Patient: { ObservationList: { code: { coding: { code: string }[] } }[] } } };
  expect(answer.data.Patient.ObservationList.map((o) => o.code.coding[0].code)).toEqual(['4548-4']);
}, 60_000);

test('only queries that select nothing but introspection fields are shared', () => {
  expect(isIntrospectionOnly(getIntrospectionQuery())).toBe(true);
  expect(isIntrospectionOnly('{ __typename }')).toBe(true);
  expect(isIntrospectionOnly('{ __schema { types { name } } PatientList { id } }')).toBe(false);
  expect(isIntrospectionOnly('query { ...F } fragment F on Query { PatientList { id } }')).toBe(false);
  expect(isIntrospectionOnly('mutation { __typename }')).toBe(false);
  expect(isIntrospectionOnly('{ not parsed')).toBe(false);
});
