/**
 * What the login tests share: a server, accounts made through the admin API, a headless Chromium, and an
 * OAuth client's side of authorization code + PKCE (the app is played by the test; the person by the browser).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TOTP_PERIOD_SECONDS, totpCode, totpStep } from '../../src/auth/accounts';
import { sql } from '../../src/core/sql';
import { startTestServer, type TestServer } from '../support/server';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

export interface LoginWorld {
  server: TestServer;
  browser: Browser;
  /** A fresh page (own cookies) that fails fast instead of waiting 30 s for an element that never comes. */
  newPage(): Promise<Page>;
}

/** Starts a server and a browser for a test file and closes both after it. */
export function useLoginWorld(env: Record<string, string> = {}, hostname?: string): LoginWorld {
  const world = {
    async newPage() {
      const context = await world.browser.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(8000);
      return page;
    },
  } as LoginWorld;
  beforeAll(async () => {
    world.server = await startTestServer(env, { hostname });
    world.browser = await launchChromium();
  });
  afterAll(async () => {
    await world.browser?.close();
    await world.server?.close();
  });
  return world;
}

export async function createAccount(server: TestServer, body: Record<string, unknown>): Promise<{ id: string; username: string; password: string }> {
  const res = await fetch(`${server.url}/admin/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; username: string; password: string };
}

/** How long before the end of a step its previous step's code is no longer offered: it must still be taken when the server reads it. */
const LAST_STEP_MARGIN_MS = 10_000;

/**
 * The earliest authenticator code the server will take next. The server takes codes one step either side of
 * its clock (for drift) and each only once, so a test that logs one account in several times uses the last
 * step's code (while this step has a while to run), then this step's, then the next step's, and only after
 * that waits for the clock, as a person would wait for the app's next code. Returns the step too, for a caller
 * that has to remember what it spent.
 */
export async function nextTotpCode(secret: string, username: string, spentStep?: number): Promise<{ code: string; step: number }> {
  const stepMs = TOTP_PERIOD_SECONDS * 1000;
  const earliest = stepMs - (Date.now() % stepMs) > LAST_STEP_MARGIN_MS ? totpStep() - 1 : totpStep();
  const step = Math.max(earliest, (spentStep ?? -Infinity) + 1);
  while (totpStep() + 1 < step) await new Promise((resolve) => setTimeout(resolve, stepMs - (Date.now() % stepMs)));
  return { code: totpCode(secret, username, step), step };
}

/** The next code of an account, its secret and spent step read as the authenticator app and the person would know them. */
export async function totpCodeFor(server: TestServer, username: string): Promise<string> {
  const [row] = await server.tonet.db.query<{ totp_secret: string; totp_last_step: string | null }>(sql`SELECT totp_secret, totp_last_step FROM person_account WHERE username = ${username}`);
  return (await nextTotpCode(row.totp_secret, username, row.totp_last_step === null ? undefined : Number(row.totp_last_step))).code;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(server: TestServer, params: { clientId?: string; redirectUri?: string; scope?: string; pkce?: Pkce; state?: string; prompt?: string }): string {
  const url = new URL(`${server.url}/oidc/auth`);
  url.searchParams.set('client_id', params.clientId ?? 'tonet-console');
  url.searchParams.set('redirect_uri', params.redirectUri ?? `${server.url}/console/`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', params.scope ?? 'openid profile fhirUser offline_access user/*.cruds');
  url.searchParams.set('state', params.state ?? randomBytes(8).toString('hex'));
  if (params.prompt) url.searchParams.set('prompt', params.prompt);
  if (params.pkce) {
    url.searchParams.set('code_challenge', params.pkce.challenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.toString();
}

/** Answers the app's redirect page itself, so the test reads the code from the URL the browser lands on. */
export async function interceptRedirects(page: Page, redirectPrefix: string): Promise<void> {
  await page.route(`${redirectPrefix}**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>app</title><p>back in the app</p>' }));
}

export function codeFrom(pageUrl: string): string {
  const code = new URL(pageUrl).searchParams.get('code');
  if (!code) throw new Error(`no code in ${pageUrl}`);
  return code;
}

export async function exchangeCode(server: TestServer, code: string, verifier: string | undefined, clientId = 'tonet-console', redirectUri = `${server.url}/console/`): Promise<Response> {
  return fetch(`${server.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, ...(verifier ? { code_verifier: verifier } : {}) }),
  });
}

/** Password, then the code, on Tonet's own pages; stops wherever the server sends the browser next. */
export async function logInWithPasswordAndTotp(page: Page, server: TestServer, username: string, password: string): Promise<void> {
  await page.getByLabel('ユーザー名').fill(username);
  await page.getByLabel('パスワード').fill(password);
  await page.getByRole('button', { name: /次へ/ }).click();
  await page.getByLabel('コード').fill(await totpCodeFor(server, username));
  await page.getByRole('button', { name: /ログイン/ }).click();
}

/** An account made through the admin API whose authenticator app is already set up (as after a first login). */
export async function enrolledAccount(server: TestServer, body: Record<string, unknown>): Promise<{ id: string; username: string; password: string }> {
  const created = await createAccount(server, body);
  const account = (await server.tonet.accounts.byId(created.id))!;
  const { secret } = server.tonet.accounts.newTotpSecret(account);
  if (!(await server.tonet.accounts.confirmTotp(account.id, secret, (await nextTotpCode(secret, account.username)).code))) throw new Error('TOTP enrolment failed');
  return created;
}

/** Logs in in a fresh page and returns the code the app receives (and the page, still holding the session). */
export async function logInForCode(world: LoginWorld, account: { username: string; password: string }, pkce: Pkce, scope?: string): Promise<{ code: string; page: Page }> {
  const page = await world.newPage();
  await interceptRedirects(page, `${world.server.url}/console/`);
  await page.goto(authorizeUrl(world.server, { pkce, scope }));
  await logInWithPasswordAndTotp(page, world.server, account.username, account.password);
  await page.waitForURL(`${world.server.url}/console/**`);
  return { code: codeFrom(page.url()), page };
}

export async function tokenRequest(server: TestServer, form: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/oidc/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
}

export function fhirGet(server: TestServer, path: string, accessToken: string): Promise<Response> {
  return fetch(`${server.url}/fhir/${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
}

export interface HttpLogin {
  username: string;
  password: string;
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  /** Extra authorization parameters (a SMART EHR launch's `launch`, `aud`). */
  extra?: Record<string, string>;
  /** The facility to pick when the login asks for one. */
  organization?: string;
  /** The patient id to name on the consent screen when it asks for one. */
  patient?: string;
  /** What to answer at the code page, asked when the login gets there; the authenticator app's next code unless told. */
  code?: () => Promise<string>;
}

/**
 * The same login a browser does, over plain HTTP (for tests about what a token may do, not about pages): follows
 * the provider's redirects with a cookie jar, answers each Tonet page it lands on (password, code, facility,
 * consent) and exchanges the code. Returns the token endpoint's JSON.
 */
export async function logInOverHttp(server: TestServer, login: HttpLogin): Promise<Record<string, unknown> & { access_token: string }> {
  const pkce = newPkce();
  const clientId = login.clientId ?? 'tonet-console';
  const redirectUri = login.redirectUri ?? `${server.url}/console/`;
  const start = new URL(authorizeUrl(server, { clientId, redirectUri, scope: login.scope, pkce }));
  for (const [name, value] of Object.entries(login.extra ?? {})) start.searchParams.set(name, value);
  const jar = new Map<string, string>();
  const send = async (url: string, form?: Record<string, string>) => {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form) : undefined,
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  let res = await send(start.toString());
  for (let step = 0; step < 20; step++) {
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, server.url).toString();
      if (next.startsWith(redirectUri)) {
        const code = new URL(next).searchParams.get('code');
        if (!code) throw new Error(`the app was sent back without a code: ${next}`);
        const tokens = await exchangeCode(server, code, pkce.verifier, clientId, redirectUri);
        if (tokens.status !== 200) throw new Error(`code exchange failed: ${tokens.status} ${await tokens.text()}`);
        return (await tokens.json()) as Record<string, unknown> & { access_token: string };
      }
      res = await send(next);
      continue;
    }
    const html = await res.text();
    // A refused answer comes back on the same page; a person would stop there rather than post it again.
    const refusal = /<div class="error" role="alert" id="error">([^<]*)<\/div>/.exec(html)?.[1];
    if (res.status >= 400 && refusal) throw new Error(`login refused at ${res.status}: ${refusal}`);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`login stopped at ${res.status}: ${html.slice(0, 400)}`);
    const url = `${server.url}${action}`;
    if (action.endsWith('/password')) res = await send(url, { username: login.username, password: login.password });
    else if (action.endsWith('/totp')) res = await send(url, { code: await (login.code ?? (() => totpCodeFor(server, login.username)))() });
    else if (action.endsWith('/facility')) res = await send(url, { organization: login.organization ?? '' });
    else if (action.endsWith('/consent')) res = await send(url, { decision: 'allow', ...(login.patient ? { patient: login.patient } : {}) });
    else throw new Error(`no answer for the login page posting to ${action}`);
  }
  throw new Error('login did not finish in 20 steps');
}

/** Registers a third-party SMART app with the office's token; returns its client id. */
export async function registerApp(server: TestServer, name: string, redirectUri: string): Promise<string> {
  const res = await fetch(`${server.url}/admin/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name, redirect_uris: [redirectUri] }),
  });
  if (res.status !== 201) throw new Error(`app registration failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { client_id: string }).client_id;
}

/** Creates a resource with the office's token (tests set their stage with it). */
export async function createAsAdmin<T extends { id: string }>(server: TestServer, resource: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${server.url}/fhir/${resource.resourceType}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify(resource),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
