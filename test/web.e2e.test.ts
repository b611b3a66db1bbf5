import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../scripts/servers/servers.js';
import type { AppProcess } from '../scripts/processes.js';
import { startWeb } from '../scripts/web.js';
import { DEMO_PASSWORD, startStack, type Stack } from './stack.js';

/**
 * The web app in a real browser (Debian's Chromium, installed by `npm test`'s install step) against
 * a real gateway, worker and demo agent: sign in, chat with the AI sales assistant, see its
 * workflow, and receive a colleague's message live.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/mchat-chat.png';
const AGENT_REPLY_MS = 20_000;

describe('web app in a browser', () => {
  let stack: Stack | undefined;
  let web: AppProcess | undefined;
  let browser: Browser | undefined;
  let webUrl = '';
  let li: Page;
  const pageErrors: string[] = [];

  async function newPage(): Promise<Page> {
    const context: BrowserContext = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    return page;
  }

  async function signIn(page: Page, employeeId: string, password: string): Promise<void> {
    await page.getByLabel('Employee id').fill(employeeId);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Signs in from a fresh page and waits for the live connection. */
  async function signedIn(employeeId: string, name: string): Promise<Page> {
    const page = await newPage();
    await page.goto(`${webUrl}/login`);
    await signIn(page, employeeId, DEMO_PASSWORD);
    await page.waitForURL(`${webUrl}/chat`);
    await page.getByRole('banner').getByText(name, { exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor();
    return page;
  }

  /** Opens a direct chat through the search box. */
  async function openDirect(page: Page, query: string, name: string): Promise<void> {
    await page.getByRole('searchbox', { name: 'Search colleagues' }).fill(query);
    await page.getByRole('navigation').getByRole('button', { name: new RegExp(`^${name}`) }).click();
    await page.getByRole('main').getByRole('heading', { level: 1, name }).waitFor();
  }

  async function send(page: Page, text: string): Promise<void> {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
  }

  const message = (page: Page, text: string) => page.getByRole('main').getByRole('article').filter({ hasText: text });

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    const port = await freePort();
    webUrl = `http://127.0.0.1:${port}`;
    // The production build (made by the global setup), as npm start serves it.
    web = await startWeb({ port, origin: webUrl, gatewayUrl: stack.httpUrl, mqttWsUrl: stack.wsUrl, logDir: stack.logDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  test('/ sends a stranger to /login, and a wrong password shows the gateway’s message', async () => {
    const page = await newPage();
    await page.goto(`${webUrl}/`);
    await page.waitForURL(`${webUrl}/login`);
    await signIn(page, 'u_li', 'not-the-password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('unknown employee or wrong password');
    expect(page.url()).toBe(`${webUrl}/login`);
    // The form keeps the id it was given.
    expect(await page.getByLabel('Employee id').inputValue()).toBe('u_li');
    await page.context().close();
  });

  test('u_li signs in, sees her name and a live connection', async () => {
    li = await signedIn('u_li', 'Li Lei');
    await li.getByText('Pick a conversation, or search for a colleague to start one.').waitFor();
  });

  test('the AI sales assistant answers an order look-up with a card and a completed workflow', async () => {
    await openDirect(li, 'a_sales', 'Sales Assistant');
    await send(li, '查订单 SO-1001');
    await message(li, '查订单 SO-1001').waitFor();
    await li.getByRole('main').getByRole('heading', { name: 'Order SO-1001' }).waitFor({ timeout: AGENT_REPLY_MS });
    await message(li, 'Order SO-1001').getByText('Sales Assistant', { exact: true }).waitFor();
    const panel = li.getByRole('complementary');
    await panel.getByRole('heading', { name: 'Workflows' }).waitFor();
    await panel.getByRole('article').filter({ hasText: /completed/i }).waitFor({ timeout: AGENT_REPLY_MS });
    // The composer is ready for the next message.
    expect(await li.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');
    await li.screenshot({ path: SCREENSHOT });
  });

  test('u_zhang, signed in elsewhere, receives u_li’s direct message live', async () => {
    const zhang = await signedIn('u_zhang', 'Zhang Wei');
    // Set on the live page: still there afterwards means nothing reloaded it.
    await zhang.evaluate(() => ((globalThis as { e2eMark?: string }).e2eMark = 'same page'));

    await openDirect(li, 'u_zhang', 'Zhang Wei');
    const first = 'Hi Zhang, can you invoice SO-1001 today?';
    await send(li, first);
    await message(li, first).waitFor();

    // A new conversation turns up in his list, with the message as its preview.
    const conversation = zhang.getByRole('navigation').getByRole('button', { name: /Li Lei/ });
    await conversation.filter({ hasText: first }).waitFor();
    await conversation.click();
    await message(zhang, first).waitFor();

    // And with the conversation open, the next message lands in it.
    const second = 'The customer is waiting on it.';
    await send(li, second);
    await message(zhang, second).waitFor();

    expect(await zhang.evaluate(() => (globalThis as { e2eMark?: string }).e2eMark)).toBe('same page');
    expect(zhang.url()).toBe(`${webUrl}/chat`);
    await zhang.context().close();
  });

  test('no uncaught errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
