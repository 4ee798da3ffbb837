import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import { ActOnTokenService } from '@acton/nest-auth';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startExampleApp, type RunningExample } from '../src';

/** Debian's Chromium (`apt-get install -y chromium`); never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCREENSHOTS = join(__dirname, '..', 'test-results', 'screenshots');

describe('signing in to the example app in a real browser', () => {
  let running: RunningExample;
  let emulator: ActOnEmulator;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // A missing browser is a failure, never a skip: this test is the proof that the login page works.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium"`);
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    running = await startExampleApp({ port: 0, emulatorPort: 0, env: {} });
    emulator = running.config.emulator as ActOnEmulator;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  it('clicks sign-in, logs in on the Act-On page, lands on /me and loads /me/account', async () => {
    await page.goto(`${running.url}/`);
    await page.screenshot({ path: join(SCREENSHOTS, '1-home.png') });

    await page.click('#sign-in');
    await page.waitForURL(`${emulator.url}/authorize?**`);
    await page.fill('#username', EMULATOR_DEFAULTS.username);
    await page.fill('#password', EMULATOR_DEFAULTS.password);
    await page.screenshot({ path: join(SCREENSHOTS, '2-act-on-login.png') });

    await page.click('#authorize');
    await page.waitForURL(`${running.url}/me`);
    await page.screenshot({ path: join(SCREENSHOTS, '3-me.png') });
    const profile = await page.textContent('#profile');
    expect(profile).toContain('Demo');
    expect(profile).toContain(EMULATOR_DEFAULTS.username);
    expect(profile).toContain('10001');

    const tokens = await running.app.get(ActOnTokenService).getTokenSet('10001');
    const html = await page.content();
    expect(tokens).toBeDefined();
    expect(html).not.toContain(tokens!.accessToken);
    expect(html).not.toContain(tokens!.refreshToken);

    await page.click('text=Call Act-On');
    await page.waitForURL(`${running.url}/me/account`);
    await page.screenshot({ path: join(SCREENSHOTS, '4-me-account.png') });
    const account = JSON.parse((await page.textContent('#account')) ?? '') as {
      account_id: number;
      login: string;
    };
    expect(account).toMatchObject({ account_id: 10001, login: EMULATOR_DEFAULTS.username });
    expect(emulator.stats().grants.authorization_code).toBe(1);
  });
});
