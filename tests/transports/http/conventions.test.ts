/**
 * HTTP conventions operators and FHIR clients rely on: X-Request-Id in and out (and in the audit trail),
 * 406 for XML, `_pretty`.
 */
import { startTestServer, TestServer } from '../../support/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => server?.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.fhirUrl}${path}`, { headers: { authorization: `Bearer ${server.adminToken}`, ...headers } });

test('a caller\'s X-Request-Id is answered back and recorded in the AuditEvent; without one, one is made', async () => {
  const mine = await get('/Patient?name=request-id-check', { 'x-request-id': 'gw-tone-000123' });
  expect(mine.headers.get('x-request-id')).toBe('gw-tone-000123');
  const made = await get('/Patient');
  expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const hostile = await get('/Patient', { 'x-request-id': 'bad id\twith spaces' });
  expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const audit = (await (await get('/AuditEvent?_count=1000')).json()) as { entry: { resource: unknown }[] };
  expect(JSON.stringify(audit.entry.map((e) => e.resource))).toContain('gw-tone-000123');
});

test.each([
  ['_format=xml', '/Patient?_format=xml', {}],
  ['Accept naming only XML', '/Patient', { accept: 'application/fhir+xml' }],
])('%s is 406 with an OperationOutcome', async (_name, path, headers) => {
  const res = await get(path, headers as Record<string, string>);
  expect(res.status).toBe(406);
  expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
});

test('_format=json and browsers\' Accept headers are served; _pretty=true indents', async () => {
  expect((await get('/metadata?_format=json')).status).toBe(200);
  expect((await get('/Patient', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' })).status).toBe(200);
  const pretty = await (await get('/Patient?_pretty=true')).text();
  expect(pretty).toMatch(/^\{\n  "resourceType": "Bundle"/);
  const compact = await (await get('/Patient')).text();
  expect(compact.startsWith('{"resourceType":"Bundle"')).toBe(true);
});
