/**
 * Token endpoint conformance for people's logins: PKCE is required, a code works once (and its reuse ends
 * what it gave), refresh tokens rotate, revocation and suspension end tokens at once, logout ends the login,
 * and the API's AuditEvents name the person and the facility.
 */
import { sql } from '../../src/core/sql';
import { authorizeUrl, enrolledAccount, exchangeCode, fhirGet, logInForCode, newPkce, tokenRequest, useLoginWorld } from './support';

const world = useLoginWorld();
const HOSPITAL = 'Organization/core-hospital';
let doctor: { id: string; username: string; password: string; practitioner: string };
let doctors = 0;

// A doctor of their own for each test: each authenticator code opens one login, and one account logging in
// through every test would wait half a minute for each next code.
beforeEach(async () => {
  const practitioner = `Practitioner/dr-ito-${++doctors}`;
  doctor = { ...(await enrolledAccount(world.server, { kind: 'practitioner', username: `dr.ito.${doctors}`, name: '伊藤 一郎', practitioner, facilities: [{ organization: HOSPITAL, role: 'doctor' }] })), practitioner };
});

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
}

async function freshTokens(): Promise<Tokens> {
  const pkce = newPkce();
  const { code, page } = await logInForCode(world, doctor, pkce);
  await page.context().close();
  const res = await exchangeCode(world.server, code, pkce.verifier);
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

test('an authorization request without PKCE is refused back to the app', async () => {
  const res = await fetch(authorizeUrl(world.server, {}), { redirect: 'manual' });
  expect(res.status).toBe(303);
  const back = new URL(res.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(`${world.server.url}/console/`);
  expect(back.searchParams.get('error')).toBe('invalid_request');
  expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
});

test('a plain (non-S256) code challenge is refused', async () => {
  const url = new URL(authorizeUrl(world.server, { pkce: newPkce() }));
  url.searchParams.set('code_challenge_method', 'plain');
  const res = await fetch(url, { redirect: 'manual' });
  expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
});

test('the code needs the right verifier, works once, and its reuse revokes what it gave', async () => {
  const pkce = newPkce();
  const { code, page } = await logInForCode(world, doctor, pkce);
  await page.context().close();
  const wrong = await exchangeCode(world.server, code, newPkce().verifier);
  expect(wrong.status).toBe(400);
  expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');

  const { code: second, page: secondPage } = await logInForCode(world, doctor, pkce);
  await secondPage.context().close();
  const first = await exchangeCode(world.server, second, pkce.verifier);
  expect(first.status).toBe(200);
  const tokens = (await first.json()) as Tokens;
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(200);

  const reuse = await exchangeCode(world.server, second, pkce.verifier);
  expect(reuse.status).toBe(400);
  expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(401);
  expect((await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' })).status).toBe(400);
});

test('refresh tokens rotate: the new one works, the used one is refused', async () => {
  const tokens = await freshTokens();
  const refreshed = await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' });
  expect(refreshed.status).toBe(200);
  const next = (await refreshed.json()) as Tokens;
  expect(next.refresh_token).toBeTruthy();
  expect(next.refresh_token).not.toBe(tokens.refresh_token);
  expect((await fhirGet(world.server, 'Patient', next.access_token)).status).toBe(200);
  const replay = await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' });
  expect(replay.status).toBe(400);
  expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
});

test('revoking the access token takes effect at once, for the refresh token too', async () => {
  const tokens = await freshTokens();
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(200);
  const revoke = await fetch(`${world.server.url}/oidc/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.access_token, token_type_hint: 'access_token', client_id: 'tonet-console' }),
  });
  expect(revoke.status).toBe(200);
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(401);
  expect((await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' })).status).toBe(400);
});

test('introspection tells a live refresh token from a revoked one', async () => {
  const tokens = await freshTokens();
  const introspect = async () =>
    (await (
      await fetch(`${world.server.url}/oidc/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refresh_token, client_id: 'tonet-console' }),
      })
    ).json()) as { active: boolean; sub?: string };
  expect(await introspect()).toMatchObject({ active: true, sub: doctor.id });
  await fetch(`${world.server.url}/oidc/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.refresh_token, client_id: 'tonet-console' }),
  });
  expect((await introspect()).active).toBe(false);
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(401);
});

test('suspending the account ends its tokens at once', async () => {
  const nurse = await enrolledAccount(world.server, { kind: 'practitioner', username: 'ns.ueno', name: '上野', practitioner: 'Practitioner/ns-ueno', facilities: [{ organization: HOSPITAL, role: 'nurse' }] });
  const pkce = newPkce();
  const { code, page } = await logInForCode(world, nurse, pkce);
  await page.context().close();
  const tokens = (await (await exchangeCode(world.server, code, pkce.verifier)).json()) as Tokens;
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(200);
  const suspend = await fetch(`${world.server.url}/admin/accounts/${nurse.id}/suspend`, { method: 'POST', headers: { authorization: `Bearer ${world.server.adminToken}` } });
  expect(suspend.status).toBe(200);
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(401);
  expect((await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' })).status).toBe(400);
});

test('RP-initiated logout ends the login: the token stops working and the next visit asks for the password', async () => {
  const pkce = newPkce();
  const { code, page } = await logInForCode(world, doctor, pkce);
  const tokens = (await (await exchangeCode(world.server, code, pkce.verifier)).json()) as Tokens;
  const logout = new URL(`${world.server.url}/oidc/session/end`);
  logout.searchParams.set('id_token_hint', tokens.id_token);
  logout.searchParams.set('post_logout_redirect_uri', `${world.server.url}/console/`);
  await page.goto(logout.toString());
  await page.getByRole('button', { name: /^ログアウト/ }).click();
  await page.waitForURL(`${world.server.url}/console/**`);
  expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(401);
  await page.goto(authorizeUrl(world.server, { pkce: newPkce() }));
  await expect(page.getByLabel('パスワード').count()).resolves.toBe(1);
  await page.context().close();
});

test("the API's AuditEvent names the practitioner, the app and the facility", async () => {
  const tokens = await freshTokens();
  expect((await fhirGet(world.server, 'Patient?_count=1', tokens.access_token)).status).toBe(200);
  const [row] = await world.server.tonet.db.query<{ event: string }>(sql`SELECT event FROM audit_event WHERE action = 'search' AND client_id = 'tonet-console' ORDER BY seq DESC LIMIT 1`);
  const event = JSON.parse(row.event) as { agent: { who?: { reference?: string; display?: string }; requestor: boolean; altId?: string }[] };
  expect(event.agent[0]).toMatchObject({ who: { reference: doctor.practitioner, display: '伊藤 一郎' }, requestor: true });
  expect(event.agent[1]).toMatchObject({ who: { reference: HOSPITAL }, altId: 'tonet-console', requestor: false });
});

test('SMART and OpenID discovery name the same issuer and endpoints, and the issuer is the tokens\' iss', async () => {
  const smart = (await (await fetch(`${world.server.url}/fhir/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
  const openid = (await (await fetch(`${world.server.url}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  for (const key of ['issuer', 'jwks_uri', 'authorization_endpoint', 'token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
    expect([key, smart[key]]).toEqual([key, openid[key]]);
  }
  expect(openid.code_challenge_methods_supported).toEqual(['S256']);
  const tokens = await freshTokens();
  expect(JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString('utf8')).iss).toBe(smart.issuer);
});
