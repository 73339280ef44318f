/**
 * A person's login ends after the idle limit without use, and at the absolute limit however much it is used
 * (MHLW guideline 6.0 asks for session limits). The limits are seconds here so the test can wait them out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { authorizeUrl, enrolledAccount, exchangeCode, fhirGet, logInForCode, newPkce, tokenRequest, useLoginWorld } from './support';

const HOSPITAL = 'Organization/core-hospital';

async function logIn(world: ReturnType<typeof useLoginWorld>, username: string) {
  const account = await enrolledAccount(world.server, { kind: 'practitioner', username, name: username, practitioner: `Practitioner/${username}`, facilities: [{ organization: HOSPITAL, role: 'doctor' }] });
  const pkce = newPkce();
  const { code, page } = await logInForCode(world, account, pkce);
  const tokens = (await (await exchangeCode(world.server, code, pkce.verifier)).json()) as { access_token: string; refresh_token: string };
  return { tokens, page };
}

describe('idle limit (2 s)', () => {
  const world = useLoginWorld({ TONET_SESSION_IDLE: '2', TONET_SESSION_ABSOLUTE: '600' });

  test('after the idle limit the token, the refresh token and the browser login have all ended', async () => {
    const { tokens, page } = await logIn(world, 'dr-idle');
    expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(200);
    await sleep(3000);
    expect((await fhirGet(world.server, 'Patient', tokens.access_token)).status).toBe(401);
    expect((await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' })).status).toBe(400);
    await page.goto(authorizeUrl(world.server, { pkce: newPkce() }));
    await expect(page.getByLabel('パスワード').count()).resolves.toBe(1);
    await page.context().close();
  });
});

describe('absolute limit (10 s, idle 60 s)', () => {
  const ABSOLUTE_MS = 10_000;
  const world = useLoginWorld({ TONET_SESSION_IDLE: '60', TONET_SESSION_ABSOLUTE: String(ABSOLUTE_MS / 1000) });

  test('refreshing keeps the app going only until the absolute limit, for its access tokens too', async () => {
    const { tokens, page } = await logIn(world, 'dr-absolute');
    // The limit counts from the login, which ended before this moment.
    const loggedInBy = Date.now();
    await page.context().close();
    await sleep(1000);
    const refreshed = await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'tonet-console' });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect((await fhirGet(world.server, 'Patient', next.access_token)).status).toBe(200);
    await sleep(Math.max(0, loggedInBy + ABSOLUTE_MS + 1000 - Date.now()));
    expect((await fhirGet(world.server, 'Patient', next.access_token)).status).toBe(401);
    expect((await tokenRequest(world.server, { grant_type: 'refresh_token', refresh_token: next.refresh_token, client_id: 'tonet-console' })).status).toBe(400);
  });
});
