/**
 * The client-credentials grant's client authentication records its own audit entry for each refusal — a
 * failed login with the client id tried, the request and the address — and none for a client it lets in.
 * At the domain layer, over the server's client store, with a trail that keeps its entries.
 */
import { ClientCredentials } from '../../src/auth/client-credentials';
import { MAX_FAILED_SECRETS } from '../../src/auth/clients';
import { startTestServer, type TestServer } from '../support/server';
import { RecordingTrail } from '../support/recording-trail';

let server: TestServer;
let client: { clientId: string; clientSecret: string };
let credentials: ClientCredentials;
const trail = new RecordingTrail();
const request = (ip: string) => ({ method: 'POST', url: '/oauth2/token', ip });

beforeAll(async () => {
  server = await startTestServer();
  client = await server.tonet.clients.create({ name: 'credentials test', role: 'researcher' });
  credentials = new ClientCredentials(server.tonet.clients, trail);
});
afterAll(async () => server?.close());
beforeEach(() => trail.take());

const refusal = (status: number, reason: string, clientId: string | undefined, ip: string) => ({
  ctx: undefined,
  clientId,
  action: 'login-failure',
  patientIds: [],
  entities: [],
  outcome: '4',
  description: `POST /oauth2/token → ${status}: ${reason}`,
  remoteAddress: ip,
});

test('the right secret lets the client in and records nothing', async () => {
  expect(await credentials.authenticate(request('198.51.100.1'), client)).toMatchObject({ clientId: client.clientId, role: 'researcher' });
  expect(trail.take()).toEqual([]);
});

test('malformed, missing and wrong credentials: one entry each', async () => {
  expect(await credentials.authenticate(request('198.51.100.2'), 'malformed')).toBe('malformed');
  expect(await credentials.authenticate(request('198.51.100.2'), { clientId: client.clientId })).toBe('missing');
  expect(await credentials.authenticate(request('198.51.100.2'), { clientId: client.clientId, clientSecret: 'not the secret' })).toBe('wrong');
  expect(trail.take()).toEqual([
    refusal(401, 'malformed HTTP Basic credentials', undefined, '198.51.100.2'),
    refusal(401, 'client credentials missing', client.clientId, '198.51.100.2'),
    refusal(401, 'unknown client or wrong secret', client.clientId, '198.51.100.2'),
  ]);
});

test('guessed at too often from one address: throttled, even with the right secret, and recorded as a 429', async () => {
  for (let attempt = 0; attempt < MAX_FAILED_SECRETS; attempt++) expect(await credentials.authenticate(request('198.51.100.3'), { clientId: client.clientId, clientSecret: `guess ${attempt}` })).toBe('wrong');
  trail.take();
  expect(await credentials.authenticate(request('198.51.100.3'), client)).toBe('throttled');
  expect(trail.take()).toEqual([refusal(429, 'too many failed client authentications from this address', client.clientId, '198.51.100.3')]);
});
