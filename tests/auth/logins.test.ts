/**
 * The steps of a login record their own audit entries, as the login's client and from the person's address:
 * enrolling an authenticator app and registering a passkey as changes of the account (only when they
 * happen), a refused step and the login itself as a failed and a successful login. At the domain layer,
 * over the server's account and passkey stores, with a trail that keeps its entries.
 */
import { totpCode } from '../../src/auth/accounts';
import { Logins, type LoginAttempt } from '../../src/auth/logins';
import { Passkeys } from '../../src/auth/passkeys';
import { PersonPasskeys } from '../../src/store/people';
import { startTestServer, type TestServer } from '../support/server';
import { RecordingTrail } from '../support/recording-trail';

let server: TestServer;
let logins: Logins;
const trail = new RecordingTrail();
const attempt: LoginAttempt = { clientId: 'tonet-console', remoteAddress: '203.0.113.9' };

beforeAll(async () => {
  server = await startTestServer();
  logins = new Logins(server.tonet.accounts, new Passkeys(new PersonPasskeys(server.tonet.db), server.url), trail);
});
afterAll(async () => server?.close());
beforeEach(() => trail.take());

test('enrolling an authenticator app: nothing for a wrong code, one account-change entry once it is in force', async () => {
  const { account } = await server.tonet.accounts.create({ kind: 'office', username: 'logins.enrol', name: '登録 事務', password: 'a long enough password' });
  const { secret } = server.tonet.accounts.newTotpSecret(account);
  const wrong = String((Number(totpCode(secret, account.username)) + 500_000) % 1_000_000).padStart(6, '0');
  expect(await logins.enrolTotp(attempt, account.id, secret, wrong)).toBeUndefined();
  expect(trail.take()).toEqual([]);
  expect(await logins.enrolTotp(attempt, account.id, secret, totpCode(secret, account.username))).toHaveLength(10);
  expect((await server.tonet.accounts.byId(account.id))!.hasTotp).toBe(true);
  expect(trail.take()).toEqual([
    { clientId: 'tonet-console', action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `account ${account.id}: authenticator app enrolled`, remoteAddress: '203.0.113.9' },
  ]);
});

test('a passkey answer that does not verify registers nothing and records nothing', async () => {
  const { account } = await server.tonet.accounts.create({ kind: 'resident', username: 'logins.passkey', name: '鍵', password: 'a long enough password', patient: 'Patient/logins-pk' });
  expect(await logins.registerPasskey(attempt, account, 'a-challenge', undefined)).toBe(false);
  expect(await logins.registerPasskey(attempt, account, 'a-challenge', { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'e30' }, clientExtensionResults: {} })).toBe(false);
  expect(trail.take()).toEqual([]);
});

test('a wrong password is a failed login naming the username; the login at the end names the methods and the facility', async () => {
  const { account } = await server.tonet.accounts.create({ kind: 'practitioner', username: 'logins.dr', name: '医師', password: 'a long enough password', practitioner: 'Practitioner/logins-dr', facilities: [{ organization: 'Organization/logins', role: 'doctor' }] });
  expect(await logins.checkPassword(attempt, 'logins.dr', 'not the password')).toMatchObject({ ok: false, reason: 'wrong' });
  const checked = await logins.checkPassword(attempt, 'logins.dr', 'a long enough password');
  expect(checked.ok).toBe(true);
  await logins.loggedIn(attempt, account, ['pwd', 'otp'], 'Organization/logins');
  expect(trail.take()).toEqual([
    { clientId: 'tonet-console', action: 'login-failure', patientIds: [], entities: [], outcome: '4', description: 'login logins.dr via tonet-console: password refused (wrong)', remoteAddress: '203.0.113.9' },
    { clientId: 'tonet-console', action: 'login', patientIds: [], entities: [], outcome: '0', description: 'login logins.dr via tonet-console: logged in (pwd+otp) at Organization/logins', remoteAddress: '203.0.113.9' },
  ]);
});
