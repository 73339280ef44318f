/**
 * A person logs in through a real browser: password, TOTP enrolment with recovery codes, facility choice,
 * then the app exchanges the code (PKCE) and the FHIR API answers as that practitioner at that facility.
 * Repeated failures lock the account until the office unlocks it; every step is audited.
 */
import * as OTPAuth from 'otpauth';
import { sql } from '../../src/core/sql';
import { authorizeUrl, codeFrom, createAccount, exchangeCode, interceptRedirects, logInWithPasswordAndTotp, newPkce, useLoginWorld } from './support';

const world = useLoginWorld();
const HOSPITAL = 'Organization/core-hospital';
const CLINIC = 'Organization/town-clinic';

function claimsOf(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
}

describe('a doctor logs in with two factors and picks the facility', () => {
  let doctor: { id: string; username: string; password: string };
  beforeAll(async () => {
    // The clinic is in the directory, so the facility choice shows its name; the hospital is not, and shows its reference.
    const clinic = await fetch(`${world.server.url}/fhir/${CLINIC}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${world.server.adminToken}` },
      body: JSON.stringify({ resourceType: 'Organization', id: CLINIC.split('/')[1], name: '栗橋町クリニック' }),
    });
    expect(clinic.status).toBe(201);
    doctor = await createAccount(world.server, {
      kind: 'practitioner',
      username: 'dr.sato',
      name: '佐藤 花子',
      practitioner: 'Practitioner/dr-sato',
      facilities: [
        { organization: HOSPITAL, role: 'doctor' },
        { organization: CLINIC, role: 'doctor' },
      ],
    });
  });

  test('first login enrols an authenticator, shows recovery codes, asks the facility, and the token acts there', async () => {
    const page = await world.newPage();
    await interceptRedirects(page, `${world.server.url}/console/`);
    const pkce = newPkce();
    await page.goto(authorizeUrl(world.server, { pkce }));
    await page.getByLabel('ユーザー名').fill(doctor.username);
    await page.getByLabel('パスワード').fill(doctor.password);
    await page.getByRole('button', { name: /次へ/ }).click();

    const secret = (await page.locator('#totp-secret').textContent())!.trim();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    await page.getByLabel('コード').fill(totp.generate());
    await page.getByRole('button', { name: /登録/ }).click();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByRole('button', { name: /保管しました/ }).click();

    expect(await page.locator('fieldset label').allTextContents()).toEqual([`${HOSPITAL} 医師 doctor · ${HOSPITAL}`, `栗橋町クリニック 医師 doctor · ${CLINIC}`]);
    await page.getByLabel(new RegExp(CLINIC)).check();
    await page.getByRole('button', { name: /続ける/ }).click();
    await page.waitForURL(`${world.server.url}/console/**`);
    const tokenResponse = await exchangeCode(world.server, codeFrom(page.url()), pkce.verifier);
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { access_token: string; refresh_token: string; id_token: string };
    expect(tokens.refresh_token).toBeTruthy();
    const claims = claimsOf(tokens.access_token);
    expect(claims).toMatchObject({ iss: `${world.server.url}/oidc`, client_id: 'tonet-console', role: 'clinician', org: CLINIC, person: 'Practitioner/dr-sato', sub: doctor.id });

    const fhir = await fetch(`${world.server.url}/fhir/Patient`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(fhir.status).toBe(200);
    await page.close();
  });

  test('the next login asks for the code from the app, and no second enrolment', async () => {
    const page = await world.newPage();
    await interceptRedirects(page, `${world.server.url}/console/`);
    const pkce = newPkce();
    await page.goto(authorizeUrl(world.server, { pkce }));
    await logInWithPasswordAndTotp(page, world.server, doctor.username, doctor.password);
    await page.getByLabel(new RegExp(HOSPITAL)).check();
    await page.getByRole('button', { name: /続ける/ }).click();
    await page.waitForURL(`${world.server.url}/console/**`);
    const tokens = (await (await exchangeCode(world.server, codeFrom(page.url()), pkce.verifier)).json()) as { access_token: string };
    expect(claimsOf(tokens.access_token)).toMatchObject({ org: HOSPITAL, role: 'clinician' });
    await page.close();
  });
});

describe('lockout after repeated failures', () => {
  test('five wrong passwords lock the account even for the right one; the office unlocks it; all audited', async () => {
    const nurse = await createAccount(world.server, { kind: 'practitioner', username: 'ns.kato', name: '加藤', practitioner: 'Practitioner/ns-kato', facilities: [{ organization: HOSPITAL, role: 'nurse' }] });
    const page = await world.newPage();
    await page.goto(authorizeUrl(world.server, { pkce: newPkce() }));
    for (let attempt = 0; attempt < 5; attempt++) {
      await page.getByLabel('ユーザー名').fill(nurse.username);
      await page.getByLabel('パスワード').fill(`wrong-password-${attempt}`);
      await page.getByRole('button', { name: /次へ/ }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(attempt < 4 ? /違います/ : /ロック/);
    }
    await page.getByLabel('ユーザー名').fill(nurse.username);
    await page.getByLabel('パスワード').fill(nurse.password);
    await page.getByRole('button', { name: /次へ/ }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/ロック/);

    const failures = await world.server.tonet.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM audit_event WHERE action = 'login-failure' AND event LIKE ${`%login ${nurse.username} via%`}`);
    expect(Number(failures[0].n)).toBe(6);

    const unlock = await fetch(`${world.server.url}/admin/accounts/${nurse.id}/unlock`, { method: 'POST', headers: { authorization: `Bearer ${world.server.adminToken}` } });
    expect(unlock.status).toBe(200);
    await page.getByLabel('ユーザー名').fill(nurse.username);
    await page.getByLabel('パスワード').fill(nurse.password);
    await page.getByRole('button', { name: /次へ/ }).click();
    expect(await page.locator('#totp-secret').count()).toBe(1);
    await page.close();
  });
});

describe('a resident may add a second factor', () => {
  test('ticking the box at the password page enrols an authenticator app; later logins ask for its code', async () => {
    const patient = await (
      await fetch(`${world.server.url}/fhir/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${world.server.adminToken}` },
        body: JSON.stringify({ resourceType: 'Patient', name: [{ family: '二要素' }] }),
      })
    ).json() as { id: string };
    const resident = await createAccount(world.server, { kind: 'resident', username: 'resident.2fa', name: '二要素 住民', patient: `Patient/${patient.id}` });
    const page = await world.newPage();
    await interceptRedirects(page, `${world.server.url}/console/`);
    await page.goto(authorizeUrl(world.server, { pkce: newPkce() }));
    await page.getByLabel('ユーザー名').fill(resident.username);
    await page.getByLabel('パスワード').fill(resident.password);
    await page.getByLabel(/認証アプリを設定する/).check();
    await page.getByRole('button', { name: /次へ/ }).click();
    const secret = (await page.locator('#totp-secret').textContent())!.trim();
    await page.getByLabel('コード').fill(new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate());
    await page.getByRole('button', { name: /登録/ }).click();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByRole('button', { name: /保管しました/ }).click();
    await page.waitForURL(`${world.server.url}/console/**`);

    await page.goto(authorizeUrl(world.server, { pkce: newPkce(), prompt: 'login' }));
    await page.getByLabel('ユーザー名').fill(resident.username);
    await page.getByLabel('パスワード').fill(resident.password);
    await page.getByRole('button', { name: /次へ/ }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toMatch(/確認コード/);
    await page.close();
  });
});
