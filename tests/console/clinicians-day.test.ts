/**
 * The clinician's day of the README, on the demo region exactly as a first start seeds it (issue 16's "done
 * when"): Tonet started as users start it (`bin/tonet serve`; on PostgreSQL seeded by `tonet demo`, as the
 * README says), the people and cards read from the credentials the start writes, and everything else done
 * in Chromium through what a person sees: labels, roles and the Japanese words on the screen. Only second
 * people act beside the doctor: the resident on their own screen and the network office.
 *
 * The demo doctor (井上 真一) works at 利根中央病院 and 栗橋内科クリニック; the day's resident 山本 和子 has
 * been to 加須総合病院 and the lab, and to neither of the doctor's facilities.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page, WebSocket } from 'playwright-core';
import type { DemoCredentials, DemoPerson } from '../../src/demo/seed';
import { nextTotpCode } from '../auth/support';
import { ShippedServer, SHIPPED_ADMIN, startShippedServer } from '../support/shipped-server';
import { accessibilityViolations, launchBrowser } from './browser';

const ROOT = path.resolve(__dirname, '..', '..');
const RESIDENT = '山本 和子';

let server: ShippedServer;
let browser: Browser;
let demo: DemoCredentials;
let stateDir: string;
let doctor: Page;

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-day-state-'));
  browser = await launchBrowser();
  if (process.env.DATABASE_URL) {
    // A real PostgreSQL is seeded only when asked, with the command the README gives.
    server = await startShippedServer({ TONET_STATE_DIR: stateDir });
    execFileSync(path.join(ROOT, 'bin', 'tonet'), ['demo', '--server', server.url, '--client-id', SHIPPED_ADMIN.id, '--client-secret', SHIPPED_ADMIN.secret], {
      env: { ...process.env, NODE_OPTIONS: '', TONET_STATE_DIR: stateDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    demo = JSON.parse(fs.readFileSync(path.join(stateDir, 'demo-credentials.json'), 'utf8'));
  } else {
    server = await startShippedServer({ TONET_DEMO: 'auto' }, { embedded: true });
    const file = path.join(server.dataDir, 'demo-credentials.json');
    for (let i = 0; i < 3000 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    if (!fs.existsSync(file)) throw new Error(`the demo region was not seeded: ${server.stderr()}`);
    demo = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
}, 480_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function person(kind: string): DemoPerson {
  return demo.people.find((p) => p.kind === kind)!;
}

function card(name: string) {
  return demo.residents.find((r) => r.name === name)!;
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => process.stderr.write(`console page error: ${err.message}\n`));
  return page;
}

/** The time step of the last code each demo person logged in with: a code works once, so the next login takes a later one. */
const spentSteps = new Map<string, number>();

/**
 * Logs in at /console as a printed demo person: password, the authenticator app's code for the printed TOTP
 * secret (what an app given that secret shows, the next one when it was used already), and the facility when
 * the person works at several.
 */
async function logIn(page: Page, who: DemoPerson, facility?: string): Promise<void> {
  // As the README has it, at localhost: the console's login is registered at TONET_BASE_URL, http://localhost:$PORT by default.
  await page.goto(`${server.url.replace('127.0.0.1', 'localhost')}/console/`);
  await page.getByRole('button', { name: 'Tonet アカウントでログイン' }).click();
  await page.getByLabel('ユーザー名').fill(who.username);
  await page.getByLabel('パスワード').fill(who.password);
  await page.getByRole('button', { name: /次へ/ }).click();
  if (who.totpSecret) {
    const { code, step } = await nextTotpCode(who.totpSecret, who.username, spentSteps.get(who.username));
    spentSteps.set(who.username, step);
    await page.getByLabel('コード').fill(code);
    await page.getByRole('button', { name: /ログイン/ }).click();
  }
  if (facility) {
    await page.getByLabel(new RegExp(`^${facility}`)).check();
    await page.getByRole('button', { name: /続ける/ }).click();
  }
  await page.getByText(`ログイン中: ${who.name}`).waitFor();
}

/** Resolves once the console has asked the server, over its live socket, for pathway alerts as they are raised. */
function alertSubscriptionSent(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (socket: WebSocket) => socket.on('framesent', (frame) => typeof frame.payload === 'string' && frame.payload.includes('"subscribe"') && frame.payload.includes('alertRaised') && resolve()));
  });
}

describe("a clinician's day in the demo region", () => {
  test('at 利根中央病院 the demo doctor finds nothing of 山本 和子 without her consent, and the emergency view opens only with a reason', async () => {
    doctor = await newPage();
    await logIn(doctor, person('practitioner'), '利根中央病院');
    await doctor.getByRole('heading', { name: '患者検索' }).waitFor();

    const search = doctor.getByRole('region', { name: '患者検索' });
    await search.getByLabel('氏名（かな・漢字）').fill('山本');
    await search.getByLabel('生年月日').fill(card(RESIDENT).birthDate);
    await search.getByRole('button', { name: '検索', exact: true }).click();
    await doctor.getByRole('status').filter({ hasText: '該当する患者はいません' }).waitFor();
    expect(await doctor.getByRole('cell', { name: RESIDENT }).count()).toBe(0);

    await doctor.getByRole('tab', { name: '救急時閲覧' }).click();
    expect(await doctor.getByText('緊急アクセス').count()).toBeGreaterThan(0);
    await doctor.getByLabel('カード番号').fill(card(RESIDENT).cardNumber);
    const open = doctor.getByRole('button', { name: '救急時情報を開く' });
    expect(await open.isDisabled()).toBe(true);
    await doctor.getByLabel('閲覧理由（必須）').fill('意識障害で救急外来に搬送');
    await open.click();
    await doctor.getByRole('heading', { name: new RegExp(RESIDENT) }).waitFor();
    expect(await accessibilityViolations(doctor)).toEqual([]);

    await doctor.getByRole('button', { name: 'ログアウト', exact: true }).click();
    await doctor.waitForURL(/\/oidc\/session\/end/);
    await doctor.getByRole('button', { name: /^ログアウト/ }).click();
    await doctor.getByRole('button', { name: 'Tonet アカウントでログイン' }).waitFor();
  }, 180_000);

  test('at 栗橋内科クリニック the doctor links her card, sees both facilities on the timeline and the HbA1c chart, opens the CT and books a CT slot', async () => {
    const subscribed = alertSubscriptionSent(doctor);
    await logIn(doctor, person('practitioner'), '栗橋内科クリニック');
    await subscribed;
    // A clinic takes no emergencies: its desk offers no emergency view (the tab list is busy until the type is read).
    const tabs = doctor.locator('[role="tablist"][aria-busy="false"]');
    await tabs.waitFor();
    expect(await tabs.getByRole('tab', { name: '救急時閲覧' }).count()).toBe(0);
    const desk = doctor.getByRole('region', { name: 'カード連携（受付）' });
    await desk.getByLabel('カード番号').fill(card(RESIDENT).cardNumber);
    await desk.getByLabel('カード確認番号').fill(card(RESIDENT).cardSecret);
    await desk.getByLabel('施設患者番号').fill('K-0012');
    await desk.getByLabel('生年月日').fill(card(RESIDENT).birthDate);
    await desk.getByRole('button', { name: '連携する' }).click();

    const timeline = doctor.getByRole('table', { name: '施設横断タイムライン' });
    await timeline.getByRole('row').filter({ hasText: '加須総合病院' }).first().waitFor();
    await timeline.getByRole('row').filter({ hasText: '利根臨床検査センター' }).first().waitFor();
    const chart = doctor.getByRole('table', { name: 'HbA1c 検査値の推移' });
    await chart.getByRole('row').filter({ hasText: '加須総合病院' }).first().waitFor();
    expect(await chart.getByRole('row').filter({ hasText: '利根臨床検査センター' }).count()).toBeGreaterThan(0);
    // Her HbA1c is over the range's 6.2 %: each point is flagged.
    expect(await chart.getByRole('row').filter({ hasText: '異常' }).count()).toBe(await chart.getByRole('row').count());

    await doctor.getByLabel('種別').selectOption({ label: '画像' });
    const study = timeline.getByRole('row').filter({ hasText: '胸部単純CT' });
    expect(await study.innerText()).toContain('加須総合病院');
    await study.getByRole('button', { name: '胸部単純CT' }).click();
    const viewer = doctor.getByRole('dialog');
    await viewer.getByRole('img', { name: /胸部単純CT 1\/1/ }).waitFor();
    await viewer.locator('canvas[data-loaded="true"]').waitFor();
    expect(await viewer.getByText('提供施設: 加須総合病院').count()).toBe(1);
    await viewer.getByRole('button', { name: '閉じる' }).click();

    await doctor.getByRole('tab', { name: 'CT・MRI予約' }).click();
    await doctor.getByLabel('病院').selectOption({ label: '利根中央病院' });
    const calendar = doctor.getByRole('group', { name: '空き枠' });
    const firstSlot = calendar.getByRole('button', { name: /^\d{2}:\d{2}$/ }).first();
    // The demo's slots start tomorrow; on a Friday or at a weekend the first free one is next week.
    await calendar.getByText('読み込み中…').first().waitFor({ state: 'detached' });
    if ((await firstSlot.count()) === 0) await doctor.getByRole('button', { name: /次の週/ }).click();
    await firstSlot.click();
    await doctor.getByLabel('検査', { exact: true }).selectOption({ label: '胸部単純CT' });
    await doctor.getByLabel('依頼理由').fill('咳嗽が続くため胸部精査');
    await doctor.getByRole('button', { name: '予約する' }).click();
    await doctor.getByRole('status').filter({ hasText: '仮予約しました' }).waitFor();
    await doctor.getByRole('row').filter({ hasText: '胸部単純CT' }).filter({ hasText: '確定待ち' }).waitFor();
    expect(await accessibilityViolations(doctor)).toEqual([]);
  }, 180_000);

  test("the demo resident's blood pressure raises a pathway alert the clinic sees live", async () => {
    await doctor.getByRole('tab', { name: '地域連携パス' }).click();
    await doctor.getByRole('table', { name: '登録患者' }).getByRole('row').filter({ hasText: '山田 太郎' }).waitFor();

    const resident = await newPage();
    await logIn(resident, person('resident'));
    await resident.getByRole('heading', { name: 'わたしの記録' }).waitFor();
    await resident.getByLabel('最高血圧').fill('152');
    await resident.getByLabel('最低血圧').fill('96');
    await resident.getByRole('button', { name: '保存' }).click();
    await resident.getByRole('status').filter({ hasText: '保存しました' }).waitFor();

    await doctor.getByRole('region', { name: '新しいアラート' }).getByText(/152\/96/).waitFor();
    const alert = doctor.getByRole('table', { name: '未対応のアラート' }).getByRole('row').filter({ hasText: '152/96' });
    await alert.waitFor();
    expect(await alert.innerText()).toContain('山田 太郎');
    await resident.context().close();
  }, 180_000);

  test("the office corrects the lab's refused result and replays it; it reaches 山本 和子's record at the clinic", async () => {
    const office = await newPage();
    await logIn(office, person('office'));
    await office.getByRole('heading', { name: 'HL7受信箱' }).waitFor();
    const refused = office.getByRole('table', { name: 'HL7受信箱' }).getByRole('row').filter({ hasText: '7,3' });
    expect(await refused.innerText()).toContain('OBX-5');
    await refused.getByRole('button', { name: /^開く/ }).click();
    const text = office.getByLabel('メッセージ本文');
    expect(await text.inputValue()).toContain('|7,3|');
    await text.fill((await text.inputValue()).replace('|7,3|', '|7.3|'));
    await office.getByRole('button', { name: '再送' }).click();
    await office.getByRole('status').filter({ hasText: '再送し、受け付けられました' }).waitFor();
    await office.getByText('受け付けなかったメッセージはありません').waitFor();
    await office.context().close();

    // Her record is still the one open on the doctor's 患者 tab.
    await doctor.getByRole('tab', { name: '患者', exact: true }).click();
    const fixed = doctor.getByRole('table', { name: 'HbA1c 検査値の推移' }).getByRole('row').filter({ hasText: '7.3' }).filter({ hasText: '利根臨床検査センター' });
    await fixed.waitFor();
    await doctor.context().close();
  }, 180_000);
});
