/**
 * Logging in to the console as a person, in a real browser: the sign-in button goes to Tonet's OpenID
 * Connect pages (authorization code with PKCE), password and authenticator code, and back at /console the
 * doctor's own token opens the clinician's desk under their name; logging out ends the provider's login too.
 */
import type { Browser } from 'playwright-core';
import { enrolledAccount, logInWithPasswordAndTotp } from '../auth/support';
import { startTestServer, TestServer } from '../support/server';
import { facility } from '../consent/support';
import { accessibilityViolations, launchBrowser } from './browser';

let server: TestServer;
let browser: Browser;
let doctor: { username: string; password: string };

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const clinic = await facility(server, '1310001322', 'clinic', '栗橋内科クリニック');
  doctor = await enrolledAccount(server, { kind: 'practitioner', username: 'dr.console', name: '井上 真一', practitioner: 'Practitioner/dr-console', facilities: [{ organization: clinic.reference, role: 'doctor' }] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('a doctor logs in with password and code and lands on the desk as themselves', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${server.url}/console/`);
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Tonet アカウントでログイン' }).click();
  await logInWithPasswordAndTotp(page, server, doctor.username, doctor.password);
  await page.getByRole('heading', { name: '患者検索' }).waitFor();
  expect(new URL(page.url()).search).toBe('');
  expect(await page.getByText('ログイン中: 井上 真一').count()).toBe(1);

  // Logging out ends the OpenID Connect session as well (end_session with the ID token), so the next login
  // in this browser asks for the password again instead of coming straight back signed in.
  await page.getByRole('button', { name: 'ログアウト', exact: true }).click();
  await page.waitForURL(/\/oidc\/session\/end/);
  await page.getByRole('button', { name: /^ログアウト/ }).click();
  await page.waitForURL(`${server.url}/console/`);
  await page.getByRole('button', { name: 'Tonet アカウントでログイン' }).click();
  await page.getByLabel('パスワード').waitFor();
  expect(new URL(page.url()).pathname).toMatch(/^\/login\//);
  await context.close();
}, 150_000);
