/**
 * SMART Backend Services: a vendor's system registered by the office with its public keys (generated here
 * with jose, as a vendor would) gets a token from /oidc/token with a private_key_jwt assertion (ES384 or
 * RS384), for system/ scopes only; the token acts as the facility it was registered for, narrowed by its
 * scopes and decided by the consent service. Wrong keys, replayed assertions and scope-less requests fail.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { createAccount, createAsAdmin, fhirGet, logInOverHttp, registerApp } from './support';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
const CLINIC = 'Organization/svc-clinic';
const OTHER = 'Organization/svc-other';

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

async function registerService(alg: 'ES384' | 'RS384', body: Record<string, unknown> = {}): Promise<{ clientId: string; privateKey: CryptoKey; kid: string }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const res = await fetch(`${server.url}/admin/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name: `Lab vendor ${alg}`, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg }] }, role: 'clinician', organization: CLINIC, ...body }),
  });
  expect(res.status).toBe(201);
  return { clientId: ((await res.json()) as { client_id: string }).client_id, privateKey, kid };
}

function assertion(service: { clientId: string; privateKey: CryptoKey; kid: string }, alg: string, jti = randomUUID()): Promise<string> {
  return new SignJWT({ jti })
    .setProtectedHeader({ alg, kid: service.kid, typ: 'JWT' })
    .setIssuer(service.clientId)
    .setSubject(service.clientId)
    .setAudience(`${server.url}/oidc/token`)
    .setExpirationTime('5m')
    .setIssuedAt()
    .sign(service.privateKey);
}

function tokenRequest(clientAssertion: string, scope: string): Promise<Response> {
  return fetch(`${server.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion }),
  });
}

test('smart-configuration offers private_key_jwt with RS384 and ES384 and system scopes', async () => {
  const smart = (await (await fetch(`${server.url}/fhir/.well-known/smart-configuration`)).json()) as Record<string, string[]>;
  expect(smart.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
  expect(smart.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
  expect(smart.capabilities).toContain('client-confidential-asymmetric');
  expect(smart.grant_types_supported).toContain('client_credentials');
  expect(smart.scopes_supported).toContain('system/*.rs');
});

test.each(['ES384', 'RS384'] as const)('an %s assertion gets a short-lived token that acts for the facility under its system scopes', async (alg) => {
  const service = await registerService(alg);
  const own = await createAsAdmin(server, { resourceType: 'Observation', status: 'final', code: { text: `own ${alg}` }, meta: { source: CLINIC } });
  const others = await createAsAdmin(server, { resourceType: 'Observation', status: 'final', code: { text: `other ${alg}` }, meta: { source: OTHER } });
  const res = await tokenRequest(await assertion(service, alg), 'system/Observation.rs');
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; scope: string; expires_in: number; token_type: string };
  expect(body).toMatchObject({ scope: 'system/Observation.rs', token_type: 'Bearer' });
  expect(body.expires_in).toBeLessThanOrEqual(300);
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString('utf8'));
  expect(claims).toMatchObject({ iss: `${server.url}/oidc`, client_id: service.clientId, role: 'clinician', org: CLINIC });

  expect((await fhirGet(server, `Observation/${own.id}`, body.access_token)).status).toBe(200);
  // The consent service decides under the scope: another facility's result stays hidden.
  expect((await fhirGet(server, `Observation/${others.id}`, body.access_token)).status).toBe(404);
  // The scope narrows: no Conditions.
  expect((await fhirGet(server, 'Condition', body.access_token)).status).toBe(403);
});

test('a wrong key, a replayed assertion, user scopes only and a private key in the registration are refused', async () => {
  const service = await registerService('ES384');
  const impostor = { ...service, privateKey: (await generateKeyPair('ES384')).privateKey };
  const wrongKey = await tokenRequest(await assertion(impostor, 'ES384'), 'system/Observation.rs');
  expect(wrongKey.status).toBe(401);
  expect(((await wrongKey.json()) as { error: string }).error).toBe('invalid_client');

  const once = await assertion(service, 'ES384');
  expect((await tokenRequest(once, 'system/Observation.rs')).status).toBe(200);
  const replay = await tokenRequest(once, 'system/Observation.rs');
  expect(replay.status).toBe(401);

  const userScopes = await tokenRequest(await assertion(service, 'ES384'), 'user/*.cruds');
  expect(userScopes.status).toBe(400);
  expect(((await userScopes.json()) as { error: string }).error).toBe('invalid_scope');

  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  const leaked = await fetch(`${server.url}/admin/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name: 'Careless vendor', jwks: { keys: [await exportJWK(privateKey)] }, role: 'clinician', organization: CLINIC }),
  });
  expect(leaked.status).toBe(400);
  expect(JSON.stringify(await leaked.json())).toMatch(/jwks/);
  const admin = await fetch(`${server.url}/admin/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name: 'Too powerful', jwks_uri: 'https://vendor.example/jwks', role: 'admin' }),
  });
  expect(admin.status).toBe(400);
});

test('the office deactivates a backend service or an app: their tokens stop working at once', async () => {
  const deactivate = (id: string) => fetch(`${server.url}/admin/apps/${id}/deactivate`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}` } });
  const service = await registerService('ES384');
  const serviceToken = ((await (await tokenRequest(await assertion(service, 'ES384'), 'system/Observation.rs')).json()) as { access_token: string }).access_token;
  expect((await fhirGet(server, 'Observation', serviceToken)).status).toBe(200);

  const patient = await createAsAdmin(server, { resourceType: 'Patient', name: [{ family: '停止' }] });
  const resident = await createAccount(server, { kind: 'resident', username: 'svc.resident', name: '住民', patient: `Patient/${patient.id}` });
  const redirectUri = `${server.url}/stopped-app/`;
  const appId = await registerApp(server, 'Stopped app', redirectUri);
  const appToken = (await logInOverHttp(server, { ...resident, clientId: appId, redirectUri, scope: 'openid launch/patient patient/Patient.r' })).access_token;
  expect((await fhirGet(server, `Patient/${patient.id}`, appToken)).status).toBe(200);

  for (const id of [service.clientId, appId]) expect((await deactivate(id)).status).toBe(200);
  expect((await fhirGet(server, 'Observation', serviceToken)).status).toBe(401);
  expect((await fhirGet(server, `Patient/${patient.id}`, appToken)).status).toBe(401);
  expect((await tokenRequest(await assertion(service, 'ES384'), 'system/Observation.rs')).status).toBe(401);
  expect((await deactivate(service.clientId)).status).toBe(404);
  expect((await deactivate('tonet-console')).status).toBe(404);
});
