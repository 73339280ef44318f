/**
 * Headless Debian Chromium driven by playwright-core for the console's end-to-end tests (the console is built
 * by global-setup.ts), axe-core checks, and screenshots for docs/screens/ when
 * CONSOLE_SCREENSHOTS=1 (so an ordinary test run changes no tracked file).
 */
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The console opened and signed in with `token` in a fresh browser context, once `firstHeading` shows. */
export async function signedInPage(browser: Browser, baseUrl: string, token: string, firstHeading = '患者検索'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  // A missing element fails its step well inside the test's own time limit, naming what was awaited.
  page.setDefaultTimeout(20_000);
  // A script error in the console would otherwise show only as a missing element.
  page.on('pageerror', (err) => process.stderr.write(`console page error: ${err.message}\n`));
  page.on('response', (res) => res.status() >= 400 && process.stderr.write(`console page: ${res.status()} ${res.url()}\n`));
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('アクセストークン').fill(token);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await page.getByRole('heading', { name: firstHeading }).waitFor();
  return page;
}

/** axe-core's violations on the page as it stands (rule id and the first offending node), for an exact expectation. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id}: ${v.nodes[0]?.target.join(' ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.CONSOLE_SCREENSHOTS !== '1') return;
  // No chart tooltip left over from the last click in the picture.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screens', `${name}.png`), fullPage: true });
}
