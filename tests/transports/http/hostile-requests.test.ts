/**
 * What HTTP clients really send, byte for byte over a socket (fetch would tidy it first): raw UTF-8 in the
 * query string is served; every other malformed request gets a FHIR OperationOutcome or an OAuth error with a
 * 4xx, never Node's bare 400 or a 500.
 */
import net from 'node:net';
import { startTestServer, TestServer } from '../../support/server';

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server.close();
});

/** Sends raw bytes and reads the whole answer (the server closes the connection). */
function rawRequest(bytes: Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)), headers: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
}

const get = (target: Buffer | string, headers: string[] = []) =>
  rawRequest(Buffer.concat([Buffer.from('GET '), Buffer.isBuffer(target) ? target : Buffer.from(target), Buffer.from(` HTTP/1.1\r\nHost: 127.0.0.1\r\n${[`Authorization: Bearer ${server.adminToken}`, ...headers].join('\r\n')}\r\nConnection: close\r\n\r\n`)]));

test('a search with raw UTF-8 in the query string, as curl sends it, is answered', async () => {
  const created = await fetch(`${server.fhirUrl}/Patient`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'ヤマダ', given: ['タロウ'] }] }),
  });
  expect(created.status).toBe(201);
  const answer = await get(Buffer.from('/fhir/Patient?name=やまだ', 'utf8'));
  expect(answer.status).toBe(200);
  const bundle = JSON.parse(answer.body);
  expect(bundle.resourceType).toBe('Bundle');
  expect(bundle.entry.map((e: { resource: { name: { family: string }[] } }) => e.resource.name[0].family)).toEqual(['ヤマダ']);
  // The same search percent-encoded by a careful client finds the same.
  const encoded = await get(`/fhir/Patient?name=${encodeURIComponent('やまだ')}`);
  expect(JSON.parse(encoded.body).entry).toHaveLength(1);
});

test('raw UTF-8 without a token is refused like any other request, as an OperationOutcome', async () => {
  const answer = await rawRequest(Buffer.from('GET /fhir/Patient?name=やまだ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'utf8'));
  expect(answer.status).toBe(401);
  expect(JSON.parse(answer.body).resourceType).toBe('OperationOutcome');
});

test.each([
  ['a malformed request line', Buffer.from('GARBAGE\r\n\r\n'), 400],
  ['headers larger than the server reads', Buffer.from(`GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431],
])('%s gets an OperationOutcome', async (_name, bytes, status) => {
  const answer = await rawRequest(bytes);
  expect(answer.status).toBe(status);
  expect(answer.headers).toMatch(/content-type: application\/fhir\+json/i);
  expect(JSON.parse(answer.body).resourceType).toBe('OperationOutcome');
});

test('a NUL or other control character in a search value is a 400 naming the parameter', async () => {
  for (const query of ['name=a%00b', 'family=%1Bx']) {
    const answer = await get(`/fhir/Patient?${query}`);
    expect(answer.status).toBe(400);
    const outcome = JSON.parse(answer.body);
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].expression[0]).toBe(`search parameter ${query.split('=')[0]}`);
  }
});

test('a bad percent escape in a search value is a 400 OperationOutcome', async () => {
  const answer = await get('/fhir/Patient?name=%E3%81');
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(JSON.parse(answer.body).resourceType).toBe('OperationOutcome');
});

test.each([
  ['not base64 of id:secret', 'Basic bm9jb2xvbg=='],
  ['a bad percent escape inside', `Basic ${Buffer.from('%E3%81:secret').toString('base64')}`],
])('HTTP Basic at the token endpoint with %s is invalid_client, not a 500', async (_name, authorization) => {
  const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
});

test('a bad X-SSMIX2-File name is a 400 naming the header', async () => {
  const res = await fetch(`${server.url}/hl7/v2`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'x-application/hl7-v2+er7', 'x-ssmix2-file': '%E3%81' },
    body: 'MSH|^~\\&|A|B|C|D|20240101||ADT^A08|1|P|2.5\r',
  });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { resourceType: string; issue: { diagnostics: string }[] };
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0].diagnostics).toMatch(/X-SSMIX2-File/);
});

test('GraphQL errors carry no stack trace or server file path', async () => {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ Patient(id: "no-such-patient-anywhere") { id } nonsense }' }),
  });
  const text = await res.text();
  expect(JSON.parse(text).errors.length).toBeGreaterThan(0);
  expect(text).not.toMatch(/stacktrace|\/src\/|node_modules|\.ts:\d+/);
});
