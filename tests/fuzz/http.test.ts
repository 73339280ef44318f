/**
 * Hostile input over real HTTP against one server: generated FHIR search URLs, JSON bodies and GraphQL
 * documents. No answer is a 500; every 4xx is an OperationOutcome (FHIR) or GraphQL errors with a message.
 */
import fc from 'fast-check';
import { startTestServer, TestServer } from '../support/server';
import { expectNoServerError } from './answers';
import { options } from './runs';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

const PARAMS = ['name', 'birthdate', 'identifier', 'date', 'code', 'value-quantity', 'subject', 'subject:Patient.name', '_has:Observation:subject:code', '_count', '_sort', '_include', '_revinclude', '_total', '_summary', '_elements', '_lastUpdated', '_id', '_text', 'gender:not', 'name:exact', '_format', '_since'];
const TYPES = ['Patient', 'Observation', 'Encounter', 'MedicationRequest', 'Nope', '', '_history', 'metadata', 'Patient/$everything'];
const VALUE = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('ge2024-01-15', 'eq2024', 'lt2024-13-45', 'ap1990', 'http://loinc.org|4548-4', '|', '%', '%E3%81', '%zz', ',,,', '-1', '1e309', 'NaN', 'Patient/x', '::', ':::', '$', '*')
);

const auth = () => ({ authorization: `Bearer ${server.adminToken}` });

test('generated search URLs: no 500, every refusal an OperationOutcome with a reason', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TYPES), fc.array(fc.tuple(fc.constantFrom(...PARAMS), VALUE), { maxLength: 5 }), fc.boolean(), async (type, pairs, encode) => {
      const query = pairs.map(([k, v]) => `${k}=${encode ? encodeURIComponent(v) : v.replace(/[#\s]/g, '')}`).join('&');
      const url = `${server.fhirUrl}/${type}?${query}`;
      await expectNoServerError(await fetch(url, { headers: auth() }), `GET ${url}`);
    }),
    options
  );
});

test('generated JSON bodies: no 500, every refusal an OperationOutcome with a reason', async () => {
  const resource = fc.record({ resourceType: fc.constantFrom('Patient', 'Observation', 'Bundle', 'Nope', 7), id: fc.option(fc.string()), meta: fc.option(fc.jsonValue()), name: fc.option(fc.jsonValue()), entry: fc.option(fc.jsonValue()), status: fc.option(fc.jsonValue()) }, { requiredKeys: [] });
  await fc.assert(
    fc.asyncProperty(fc.oneof(resource, fc.jsonValue()), fc.constantFrom('Patient', 'Observation', '', 'Patient/x'), fc.constantFrom('POST', 'PUT'), async (body, path, method) => {
      const res = await fetch(`${server.fhirUrl}/${path}`, { method, headers: { ...auth(), 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
      await expectNoServerError(res, `${method} /fhir/${path} ${JSON.stringify(body).slice(0, 200)}`);
    }),
    options
  );
});

test('generated GraphQL documents: no 500, errors carry messages', async () => {
  const word = fc.constantFrom('{', '}', '(', ')', '...', 'on', 'query', 'mutation', 'subscription', 'fragment', 'F', 'Patient', 'PatientList', 'id', 'name', '_count: 5', ':', '$v', '@include(if: true)', '__schema', '__typename', 'types', 'ObservationList', '"x"', '#');
  await fc.assert(
    fc.asyncProperty(fc.array(word, { maxLength: 30 }), fc.option(fc.jsonValue()), async (words, variables) => {
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ query: words.join(' '), variables }) });
      await expectNoServerError(res, `GraphQL ${words.join(' ')}`);
    }),
    options
  );
});
