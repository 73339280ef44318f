/**
 * Each second-factor code opens one login (RFC 6238 §5.2): a TOTP code that let someone in is refused
 * afterwards, and so is any code of its time step or an earlier one, as a wrong code is (it counts towards
 * the lock); the next step's code works. The code that put the authenticator in force is spent too. A
 * recovery code is spent by its login. Two logins racing with one code: one gets in. Over plain HTTP, as the
 * person's browser would post them.
 */
import * as OTPAuth from 'otpauth';
import { sql } from '../../src/core/sql';
import { totpCode } from '../../src/auth/accounts';
import { createAccount, logInOverHttp } from './support';
import { startTestServer, type TestServer } from '../support/server';

const CLINIC = 'Organization/otp-clinic';
const STEP_MS = 30_000;
/** What the code page says to a wrong code. */
const REFUSED_AS_WRONG = /login refused at 401: ユーザー名、パスワードまたはコードが違います/;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

interface IssuedAccount {
  username: string;
  password: string;
  /** What the person's authenticator app shows at a time step. */
  codeAt(step: number): string;
  recoveryCodes: string[];
}

/** An account the office issues with its authenticator set up, as the admin API answers it once. */
async function issuedAccount(username: string): Promise<IssuedAccount> {
  const res = await fetch(`${server.url}/admin/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ kind: 'practitioner', username, name: username, practitioner: `Practitioner/${username}`, facilities: [{ organization: CLINIC, role: 'doctor' }], totp: true }),
  });
  expect(res.status).toBe(201);
  const issued = (await res.json()) as { password: string; totpSecret: string; recoveryCodes: string[] };
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(issued.totpSecret), digits: 6, period: STEP_MS / 1000 });
  return { username, password: issued.password, recoveryCodes: issued.recoveryCodes, codeAt: (step) => app.generate({ timestamp: step * STEP_MS }) };
}

function logIn(account: IssuedAccount, code: () => Promise<string>) {
  return logInOverHttp(server, { ...account, organization: CLINIC, code });
}

/** Answers the code only once both logins have reached the code page, so their posts race. */
function sameCodeTogether(code: string): () => Promise<string> {
  let arrived = 0;
  let release!: () => void;
  const together = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    if (++arrived === 2) release();
    await together;
    return code;
  };
}

async function failedLogins(username: string): Promise<number> {
  const [row] = await server.tonet.db.query<{ failed_logins: number }>(sql`SELECT failed_logins FROM person_account WHERE username = ${username}`);
  return row.failed_logins;
}

async function refusedAsWrong(username: string): Promise<number> {
  const [row] = await server.tonet.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM audit_event WHERE action = 'login-failure' AND event LIKE ${`%login ${username} via%second factor refused (wrong)%`}`);
  return Number(row.n);
}

test('a TOTP code that let a login in is refused for the next one, as a wrong code is, and counts towards the lock', async () => {
  const doctor = await issuedAccount('dr.once');
  const code = doctor.codeAt(Math.floor(Date.now() / STEP_MS));
  await expect(logIn(doctor, async () => code)).resolves.toHaveProperty('access_token');

  await expect(logIn(doctor, async () => code)).rejects.toThrow(REFUSED_AS_WRONG);
  expect(await refusedAsWrong(doctor.username)).toBe(1);
  expect(await failedLogins(doctor.username)).toBe(1);
});

test("the next time step's code is accepted after one was used, and then no code of an earlier step", async () => {
  const doctor = await issuedAccount('dr.next');
  const step = Math.floor(Date.now() / STEP_MS);
  await expect(logIn(doctor, async () => doctor.codeAt(step))).resolves.toHaveProperty('access_token');
  await expect(logIn(doctor, async () => doctor.codeAt(step + 1))).resolves.toHaveProperty('access_token');

  await expect(logIn(doctor, async () => doctor.codeAt(step))).rejects.toThrow(REFUSED_AS_WRONG);
  expect(await refusedAsWrong(doctor.username)).toBe(1);
});

test('the code shown to put an authenticator in force does not open a login after it', async () => {
  const created = await createAccount(server, { kind: 'practitioner', username: 'dr.enrolled', name: 'dr.enrolled', practitioner: 'Practitioner/dr.enrolled', facilities: [{ organization: CLINIC, role: 'doctor' }] });
  const account = (await server.tonet.accounts.byId(created.id))!;
  const { secret } = server.tonet.accounts.newTotpSecret(account);
  const code = totpCode(secret, account.username);
  expect(await server.tonet.accounts.confirmTotp(account.id, secret, code)).toHaveLength(10);
  await expect(logInOverHttp(server, { ...created, organization: CLINIC, code: async () => code })).rejects.toThrow(REFUSED_AS_WRONG);
});

test('two logins posting the same TOTP code at once: exactly one gets in', async () => {
  const doctor = await issuedAccount('dr.race');
  const answer = sameCodeTogether(doctor.codeAt(Math.floor(Date.now() / STEP_MS)));
  const results = await Promise.allSettled([logIn(doctor, answer), logIn(doctor, answer)]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(REFUSED_AS_WRONG);
  expect(await refusedAsWrong(doctor.username)).toBe(1);
});

test('a recovery code opens one login; used again it is refused as a wrong code', async () => {
  const doctor = await issuedAccount('dr.recovery');
  const [recovery] = doctor.recoveryCodes;
  await expect(logIn(doctor, async () => recovery)).resolves.toHaveProperty('access_token');
  await expect(logIn(doctor, async () => recovery)).rejects.toThrow(REFUSED_AS_WRONG);
  expect(await refusedAsWrong(doctor.username)).toBe(1);
  await expect(logIn(doctor, async () => doctor.recoveryCodes[1])).resolves.toHaveProperty('access_token');
});

test('two logins posting the same recovery code at once: exactly one gets in', async () => {
  const doctor = await issuedAccount('dr.recovery.race');
  const answer = sameCodeTogether(doctor.recoveryCodes[0]);
  const results = await Promise.allSettled([logIn(doctor, answer), logIn(doctor, answer)]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(await refusedAsWrong(doctor.username)).toBe(1);
});
