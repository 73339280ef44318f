/**
 * A resident registers with the card (number, secret) and birth date in the browser, then logs in and the
 * token acts as that resident; a wrong card secret is refused, five failures stop the address for a while,
 * and a second account for the same resident is refused. At the domain layer, each refusal and the
 * registration record their own audit entry, once, with the address they came from.
 */
import { ResidentRegistration } from '../../src/auth/self-registration';
import { connectionTo } from '../../src/store/connection';
import { GuessAttempts } from '../../src/store/guess-attempts';
import { parameters, printedCard } from '../consent/support';
import { RecordingTrail } from '../support/recording-trail';
import { authorizeUrl, codeFrom, exchangeCode, fhirGet, interceptRedirects, newPkce, useLoginWorld } from './support';

const world = useLoginWorld();
const BIRTH_DATE = '1948-11-03';

async function enrol(family: string): Promise<{ id: string; cardNumber: string; cardSecret: string }> {
  const res = await fetch(`${world.server.url}/fhir/Patient/$enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${world.server.adminToken}` },
    body: JSON.stringify(parameters({ patient: { resourceType: 'Patient', name: [{ family, given: ['花子'] }], birthDate: BIRTH_DATE, gender: 'female' } })),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string };
  return { id: body.id, ...printedCard(body) };
}

async function register(page: import('playwright-core').Page, card: { cardNumber: string; cardSecret: string }, username: string, birthDate = BIRTH_DATE): Promise<string> {
  await page.goto(`${world.server.url}/register`);
  await page.getByLabel('カード番号').fill(card.cardNumber);
  await page.getByLabel('カード暗証').fill(card.cardSecret);
  await page.getByLabel('生年月日').fill(birthDate);
  await page.getByLabel('ユーザー名').fill(username);
  await page.getByLabel('パスワード').fill('a long enough password');
  await page.getByRole('button', { name: /登録/ }).click();
  return (await page.locator('main').textContent())!;
}

test('a resident registers with the card, logs in with the password and reads as that resident', async () => {
  const card = await enrol('登録');
  const page = await world.newPage();
  expect(await register(page, { ...card, cardSecret: 'WRONGSECRET' }, 'touroku.hanako')).toMatch(/違います/);
  expect(await register(page, card, 'touroku.hanako', '1948-11-04')).toMatch(/違います/);
  expect(await register(page, card, 'touroku.hanako')).toMatch(/アカウントを作成しました/);
  expect(await register(page, card, 'touroku.again')).toMatch(/すでにあります/);

  await interceptRedirects(page, `${world.server.url}/console/`);
  const pkce = newPkce();
  await page.goto(authorizeUrl(world.server, { pkce }));
  await page.getByLabel('ユーザー名').fill('touroku.hanako');
  await page.getByLabel('パスワード').fill('a long enough password');
  await page.getByRole('button', { name: /次へ/ }).click();
  await page.waitForURL(`${world.server.url}/console/**`);
  const tokens = (await (await exchangeCode(world.server, codeFrom(page.url()), pkce.verifier)).json()) as { access_token: string };
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString('utf8'));
  expect(claims).toMatchObject({ role: 'resident', pat: `Patient/${card.id}`, person: `Patient/${card.id}` });
  expect((await fhirGet(world.server, `Patient/${card.id}`, tokens.access_token)).status).toBe(200);
  await page.context().close();
});

test('five failed registrations from one address stop further tries, even with the right card', async () => {
  const card = await enrol('連続');
  const page = await world.newPage();
  for (let attempt = 0; attempt < 5; attempt++) expect(await register(page, { ...card, cardSecret: `WRONG${attempt}` }, 'renzoku.hanako')).toMatch(/違います|しばらく/);
  expect(await register(page, card, 'renzoku.hanako')).toMatch(/しばらく/);
  await page.context().close();
});

describe('the audit of a registration, at the domain layer', () => {
  const trail = new RecordingTrail();
  const registrationWith = () => new ResidentRegistration(world.server.tonet.repo, world.server.tonet.accounts, new GuessAttempts(connectionTo(world.server.tonet.db), 'card-link'), trail);
  const form = (card: { cardNumber: string; cardSecret: string }, username: string) => ({ ...card, birthDate: BIRTH_DATE, username, password: 'a long enough password' });
  const refusal = (address: string, why: string) => ({ clientId: `self-registration ${address}`, action: 'login-failure', patientIds: [], entities: [], outcome: '4', description: `self-registration refused: ${why}`, remoteAddress: address });
  beforeEach(() => trail.take());

  test('a wrong card is one failed login; a typo in the password none; the registration one account-change naming the Patient; a second one a failed login', async () => {
    const card = await enrol('監査');
    const registration = registrationWith();
    expect(await registration.register(form({ ...card, cardSecret: 'WRONGSECRET' }, 'kansa.hanako'), '198.51.100.20')).toEqual({ refused: { status: 422, text: expect.stringMatching(/違います/) } });
    expect(trail.take()).toEqual([refusal('198.51.100.20', 'no enrolled resident matches')]);

    expect(await registration.register({ ...form(card, 'kansa.hanako'), password: 'short' }, '198.51.100.20')).toEqual({ refused: { status: 400, text: expect.stringMatching(/at least 10 characters/) } });
    expect(trail.take()).toEqual([]);

    const registered = await registration.register(form(card, ' kansa.hanako '), '198.51.100.20');
    expect(registered).toEqual({ registered: expect.objectContaining({ username: 'kansa.hanako', kind: 'resident', patient: `Patient/${card.id}` }) });
    expect(trail.take()).toEqual([
      { clientId: 'self-registration 198.51.100.20', action: 'account-change', patientIds: [card.id], entities: [`Patient/${card.id}`], outcome: '0', description: 'resident account kansa.hanako registered with the card', remoteAddress: '198.51.100.20' },
    ]);

    expect(await registration.register(form(card, 'kansa.again'), '198.51.100.20')).toEqual({ refused: { status: 409, text: expect.stringMatching(/すでにあります/) } });
    expect(trail.take()).toEqual([refusal('198.51.100.20', `Patient/${card.id} already has an account`)]);
  });

  test('an address past its failures is refused before the card is looked at, and that is recorded too', async () => {
    const card = await enrol('制限');
    const registration = registrationWith();
    for (let attempt = 0; attempt < 5; attempt++) await registration.register(form({ ...card, cardSecret: `WRONG${attempt}` }, 'seigen.hanako'), '198.51.100.21');
    trail.take();
    expect(await registration.register(form(card, 'seigen.hanako'), '198.51.100.21')).toEqual({ refused: { status: 429, text: expect.stringMatching(/しばらく/) } });
    expect(trail.take()).toEqual([refusal('198.51.100.21', 'rate limited')]);
    expect((await world.server.tonet.accounts.list()).some((a) => a.username === 'seigen.hanako')).toBe(false);
  });
});
