/**
 * Passkeys in a real browser: Chromium's virtual authenticator (WebAuthn over CDP) stands in for a phone or
 * a security key. A doctor who has just shown the password and the authenticator code registers a passkey,
 * and the next login takes the passkey instead of the code; a passkey answer that does not verify is refused
 * and counts towards the lockout like a wrong code. Served as http://localhost (WebAuthn needs a domain).
 */
import type { CDPSession, Page } from 'playwright-core';
import { sql } from '../../src/core/sql';
import { authorizeUrl, codeFrom, enrolledAccount, exchangeCode, interceptRedirects, newPkce, totpCodeFor, useLoginWorld } from './support';

const world = useLoginWorld({}, 'localhost');
const HOSPITAL = 'Organization/pk-hospital';

async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

test('a doctor registers a passkey after the code, then logs in with password and passkey', async () => {
  const doctor = await enrolledAccount(world.server, { kind: 'practitioner', username: 'dr.passkey', name: '高橋', practitioner: 'Practitioner/dr-takahashi', facilities: [{ organization: HOSPITAL, role: 'doctor' }] });
  const page = await world.newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  await interceptRedirects(page, `${world.server.url}/console/`);

  await page.goto(authorizeUrl(world.server, { pkce: newPkce() }));
  await page.getByLabel('ユーザー名').fill(doctor.username);
  await page.getByLabel('パスワード').fill(doctor.password);
  await page.getByRole('button', { name: /次へ/ }).click();
  await page.getByLabel('コード').fill(await totpCodeFor(world.server, doctor.username));
  await page.getByLabel(/パスキーを登録する/).check();
  await page.getByRole('button', { name: /ログイン/ }).click();
  await expect(page.getByRole('heading').textContent()).resolves.toMatch(/パスキーの登録/);
  await page.getByRole('button', { name: /パスキーを登録/ }).click();
  await page.waitForURL(`${world.server.url}/console/**`);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  const [stored] = await world.server.tonet.db.query<{ credential_id: string }>(sql`SELECT credential_id FROM person_passkey WHERE account_id = ${doctor.id}`);
  expect(Buffer.from(stored.credential_id, 'base64url')).toEqual(Buffer.from(credentials[0].credentialId, 'base64'));

  // The next login (prompt=login: the password again) offers the passkey beside the code field.
  const pkce = newPkce();
  await page.goto(authorizeUrl(world.server, { pkce, prompt: 'login' }));
  await page.getByLabel('ユーザー名').fill(doctor.username);
  await page.getByLabel('パスワード').fill(doctor.password);
  await page.getByRole('button', { name: /次へ/ }).click();
  await page.getByRole('button', { name: /パスキーでログイン/ }).click();
  await page.waitForURL(`${world.server.url}/console/**`);
  const tokens = (await (await exchangeCode(world.server, codeFrom(page.url()), pkce.verifier)).json()) as { access_token: string };
  expect(claimsOf(tokens.access_token)).toMatchObject({ role: 'clinician', org: HOSPITAL, person: 'Practitioner/dr-takahashi' });
  const { credentials: used } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  const [{ counter }] = await world.server.tonet.db.query<{ counter: string }>(sql`SELECT counter FROM person_passkey WHERE account_id = ${doctor.id}`);
  expect(Number(counter)).toBe(used[0].signCount);
  const audited = await world.server.tonet.db.query<{ event: string }>(sql`SELECT event FROM audit_event WHERE event LIKE ${'%dr.passkey%'} ORDER BY seq`);
  expect(audited.map((r) => JSON.parse(r.event).entity.find((e: { description?: string }) => e.description)?.description)).toEqual(
    expect.arrayContaining(['account dr.passkey: passkey registered', expect.stringMatching(/^login dr.passkey via tonet-console: logged in \(pwd\+hwk\)/)])
  );
  await page.context().close();
});

test("another authenticator's passkey is refused, audited and counted towards the lockout", async () => {
  const nurse = await enrolledAccount(world.server, { kind: 'practitioner', username: 'ns.passkey', name: '中村', practitioner: 'Practitioner/ns-nakamura', facilities: [{ organization: HOSPITAL, role: 'nurse' }] });
  const owner = await world.newPage();
  await virtualAuthenticator(owner);
  await interceptRedirects(owner, `${world.server.url}/console/`);
  await owner.goto(authorizeUrl(world.server, { pkce: newPkce() }));
  await owner.getByLabel('ユーザー名').fill(nurse.username);
  await owner.getByLabel('パスワード').fill(nurse.password);
  await owner.getByRole('button', { name: /次へ/ }).click();
  await owner.getByLabel('コード').fill(await totpCodeFor(world.server, nurse.username));
  await owner.getByLabel(/パスキーを登録する/).check();
  await owner.getByRole('button', { name: /ログイン/ }).click();
  await owner.getByRole('button', { name: /パスキーを登録/ }).click();
  await owner.waitForURL(`${world.server.url}/console/**`);
  await owner.context().close();

  // Someone with the password but another device: its authenticator holds no passkey of this account.
  const intruder = await world.newPage();
  await virtualAuthenticator(intruder);
  await intruder.goto(authorizeUrl(world.server, { pkce: newPkce() }));
  await intruder.getByLabel('ユーザー名').fill(nurse.username);
  await intruder.getByLabel('パスワード').fill(nurse.password);
  await intruder.getByRole('button', { name: /次へ/ }).click();
  // The browser finds no matching credential and never answers; a forged answer is posted instead.
  const forged = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' }, clientExtensionResults: {} });
  await intruder.locator('#passkey-form input[name=credential]').evaluate((input, value) => ((input as { value: string }).value = value), forged);
  await intruder.locator('#passkey-form').evaluate((form) => (form as unknown as { submit(): void }).submit());
  await expect(intruder.getByRole('alert').textContent()).resolves.toMatch(/違います/);
  const [row] = await world.server.tonet.db.query<{ failed_logins: number }>(sql`SELECT failed_logins FROM person_account WHERE id = ${nurse.id}`);
  expect(row.failed_logins).toBe(1);
  const refused = await world.server.tonet.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM audit_event WHERE action = 'login-failure' AND event LIKE ${'%login ns.passkey via tonet-console: passkey refused (wrong)%'}`);
  expect(Number(refused[0].n)).toBe(1);
  await intruder.context().close();
});
