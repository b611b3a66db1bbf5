import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { ulid } from 'ulid';
import type { AgentReply } from '../schemas/index.js';
import { startBrowserStack, type BrowserStack } from './browser.js';
import { DEMO_PASSWORD, type Stack } from './stack.js';
import { TestClient } from './client.js';

/**
 * The web app in Chinese and at a phone's width, in a real browser against a real gateway and
 * worker: the main screens switched to Chinese show no English UI words, a browser that prefers
 * Chinese gets Chinese unasked, the switch works in place, and at 390 px the chat is usable and
 * nothing scrolls sideways. Screenshots of the main screens, desktop and phone, both languages,
 * are saved under .mchat/screenshots/.
 */
const SCREENSHOTS = resolve('.mchat/screenshots');
const AGENT_REPLY_MS = 20_000;
const DESKTOP = { width: 1400, height: 900 };
const PHONE = { width: 390, height: 844 };

/** A discount agent of the test's own that speaks Chinese: every discount needs Wang Fang's approval. */
const AGENT = { id: 'a_discount', name: '折扣助手', title: '定价' };
const SUMMARY = 'SO-1001 给 ACME 打 15% 折扣';
function agentReply(): AgentReply {
  return { text: '这个折扣需要审批，我已请王芳决定。', needs_approval: { approver: 'u_wang', summary: SUMMARY } };
}

/** What the seed and this test put on the screens that is not the app's own wording: names, job titles, the product. */
const NOT_UI = ['MChat', 'Li Lei', 'Wang Fang', 'Zhang Wei', 'Account Manager', 'Head of Sales & Finance', 'Accountant', 'Sales team', 'Finance team', 'ACME',
  // The language switch names each language in itself.
  'English'];
/** Ids (u_li, a_discount, interaction:01J…), order numbers (SO-1001) and the "AI" badge; single letters (the "M" logo) are no words. */
const NOT_WORDS = [/\b[a-z]+_[a-z0-9_]+\b/gi, /\b[a-z]+:[A-Za-z0-9:_-]+/g, /\b[A-Z]{2,}-\d+\b/g, /\bAI\b/g];

/** Run in the page (as a string: the tests are type-checked without the DOM's types). */
const READ_WORDING = `(() => {
  const style = document.createElement('style');
  style.textContent = 'article .bubble, li .preview { display: none !important; }';
  document.head.append(style);
  try {
    const visible = [...document.querySelectorAll('[aria-label], [placeholder], [title]')].filter((el) => el.checkVisibility());
    const hints = visible.flatMap((el) => ['aria-label', 'placeholder', 'title'].map((a) => el.getAttribute(a) ?? ''));
    return [document.body.innerText, ...hints].join('\\n');
  } finally {
    style.remove();
  }
})()`;

/**
 * The Latin words the app shows on `page`: its visible text (innerText) and the words a screen
 * reader or a hint gives (aria-label, placeholder, title). What people and agents wrote, the
 * message bubbles and the previews of the conversation list, is content and left out (the
 * platform's own messages among them are checked on their own, see the chat test).
 */
async function englishWords(page: Page): Promise<string[]> {
  const text = String(await page.evaluate(READ_WORDING));
  const rest = NOT_WORDS.reduce((t, pattern) => t.replace(pattern, ' '), NOT_UI.reduce((t, words) => t.split(words).join(' '), text));
  return rest.match(/[A-Za-z]{2,}/g) ?? [];
}

/** Nothing on the page is wider than the window. */
const overflowsSideways = (page: Page) => page.evaluate('document.documentElement.scrollWidth > window.innerWidth');

describe('web app in Chinese and on a phone', () => {
  let browsing: BrowserStack | undefined;
  let stack: Stack;
  let webUrl = '';
  let li: Page;
  let wang: Page;

  const newPage = (locale: string, viewport = DESKTOP) => browsing!.newPage({ locale, viewport });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
  }

  async function signIn(page: Page, employeeId: string, labels: { id: string; password: string; submit: string }, password = DEMO_PASSWORD) {
    await page.getByLabel(labels.id).fill(employeeId);
    await page.getByLabel(labels.password).fill(password);
    await page.getByRole('button', { name: labels.submit }).click();
  }
  const ZH = { id: '员工编号', password: '密码', submit: '登录' };
  const EN = { id: 'Employee id', password: 'Password', submit: 'Sign in' };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    console.log(`screenshots of the web app: ${SCREENSHOTS}`);
    browsing = await startBrowserStack();
    ({ stack, webUrl } = browsing);
    await browsing.createAgent(AGENT, agentReply);

    // Zhang Wei has written to Li Lei before she signs in.
    const zhang = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'), 'seed');
    try {
      await zhang.ok('msg.send', { to: { direct: 'u_li' }, client_msg_id: ulid(), body: { text: '李雷你好，SO-1001 的发票今天能开吗？' } });
    } finally {
      await zhang.close();
    }
  });

  afterAll(() => browsing?.stop());

  test('a browser that prefers Chinese gets the login page in Chinese, unasked', async () => {
    const page = await newPage('zh-CN');
    await page.goto(`${webUrl}/login`);
    await page.getByRole('button', { name: '登录' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await englishWords(page)).toEqual([]);
    await page.context().close();
  });

  test('the login page switches to Chinese in place, and refuses a wrong password in Chinese', async () => {
    li = await newPage('en-US');
    await li.goto(`${webUrl}/login`);
    await li.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot(li, 'login-en-1400');
    // Set on the live page: still there afterwards means the switch did not reload it.
    await li.evaluate(() => ((globalThis as { e2eMark?: string }).e2eMark = 'same page'));
    await li.getByLabel('Language').selectOption('zh');
    await li.getByRole('button', { name: '登录' }).waitFor();
    expect(await li.evaluate(() => (globalThis as { e2eMark?: string }).e2eMark)).toBe('same page');
    expect(await li.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await englishWords(li)).toEqual([]);

    await signIn(li, 'u_li', ZH, 'not-the-password');
    await expect.poll(() => li.getByRole('alert').textContent()).toBe('员工编号不存在或密码错误。');
    expect(await englishWords(li)).toEqual([]);
    await shot(li, 'login-zh-1400');
  });

  test('the chat in Chinese, with a conversation and a workflow waiting for approval, has no English UI words', async () => {
    // The choice was kept in a cookie: the server renders the next pages in Chinese too.
    await signIn(li, 'u_li', ZH);
    await li.waitForURL(`${webUrl}/chat`);
    await li.getByRole('status').filter({ hasText: /^已连接$/ }).waitFor();

    const fromZhang = li.getByRole('navigation').getByRole('button', { name: /Zhang Wei/ });
    await fromZhang.getByText('1', { exact: true }).waitFor();
    await fromZhang.click();
    await li.getByRole('log', { name: '消息' }).getByText('李雷你好，SO-1001 的发票今天能开吗？').waitFor();
    expect(await englishWords(li)).toEqual([]);

    await li.getByRole('searchbox', { name: '搜索同事' }).fill(AGENT.id);
    await li.getByRole('list', { name: '找到的同事' }).getByRole('button', { name: new RegExp(`^${AGENT.name}`) }).click();
    await li.getByRole('main').getByRole('heading', { level: 1, name: AGENT.name }).waitFor();
    const box = li.getByRole('textbox', { name: '消息' });
    await box.fill('请给 SO-1001 打 15% 折扣');
    await box.press('Enter');
    const card = li.getByRole('complementary').getByRole('article').filter({ hasText: '等待中' });
    await card.getByText('等待 Wang Fang 审批').waitFor({ timeout: AGENT_REPLY_MS });
    await card.getByText('已请 Wang Fang 审批').waitFor();
    await card.getByRole('list', { name: '已询问的智能体' }).getByText('已回答').waitFor();
    // The platform's own message asking for the approval is worded in the reader's language.
    await li.getByRole('log', { name: '消息' }).getByText(`@Wang Fang，请审批：${SUMMARY}`).waitFor();
    expect(await englishWords(li)).toEqual([]);
    await shot(li, 'chat-zh-1400');
  });

  test('switching back to English re-renders in place and keeps what was being typed', async () => {
    const box = li.getByRole('textbox', { name: '消息' });
    await box.fill('半句话');
    await li.getByLabel('语言').selectOption('en');
    await li.getByRole('button', { name: 'Send' }).waitFor();
    await li.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor();
    await li.getByRole('complementary').getByText('Awaiting approval by Wang Fang').waitFor();
    expect(await li.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('半句话');
    expect(await li.evaluate(() => (globalThis as { e2eMark?: string }).e2eMark)).toBe('same page');
    await li.getByRole('textbox', { name: 'Message' }).fill('');
    await shot(li, 'chat-en-1400');
  });

  test('Wang Fang’s approvals in Chinese have no English UI words', async () => {
    wang = await newPage('zh-CN');
    await wang.goto(`${webUrl}/login`);
    await signIn(wang, 'u_wang', ZH);
    await wang.waitForURL(`${webUrl}/chat`);
    await wang.getByRole('banner').getByRole('link', { name: /^审批/ }).click();
    await wang.getByRole('heading', { level: 1, name: '审批' }).waitFor();
    const task = wang.getByRole('main').getByRole('article').filter({ hasText: SUMMARY });
    await task.getByText(`${AGENT.name} 代 Li Lei 申请`).waitFor();
    await task.getByRole('button', { name: '批准' }).waitFor();
    expect(await englishWords(wang)).toEqual([]);
    await shot(wang, 'approvals-zh-1400');
  });

  test('the approvals page in English at 1400 px', async () => {
    await wang.getByLabel('语言').selectOption('en');
    await wang.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
    await wang.getByRole('main').getByRole('article').filter({ hasText: SUMMARY }).getByRole('button', { name: 'Approve' }).waitFor();
    await shot(wang, 'approvals-en-1400');
  });

  /**
   * On a phone the list, the chat and the workflow panel are views of their own: the chat is
   * usable (a composer nearly the full width, a message sent and seen), and no view scrolls sideways.
   */
  async function phoneChat(page: Page, lang: 'en' | 'zh', peer: RegExp, text: string) {
    const t = lang === 'en'
      ? { message: 'Message', log: 'Messages', back: 'Back to conversations', panel: 'Show workflows and approvals', close: 'Back to chat', search: 'Search colleagues' }
      : { message: '消息', log: '消息', back: '返回会话列表', panel: '查看工作流和审批', close: '返回聊天', search: '搜索同事' };
    await page.setViewportSize(PHONE);
    await page.goto(`${webUrl}/chat`);
    const search = page.getByRole('searchbox', { name: t.search });
    const conversation = page.getByRole('navigation').getByRole('button', { name: peer });
    await conversation.waitFor();
    expect(await overflowsSideways(page)).toBe(false);
    await shot(page, `list-${lang}-390`);

    await conversation.click();
    await search.waitFor({ state: 'hidden' });
    const box = page.getByRole('textbox', { name: t.message });
    await box.waitFor();
    // Most of the row, beside the attach and send buttons.
    expect((await box.boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(230);
    // The composer (attach button, text box and send button) spans the width, less its padding.
    const composer = (await page.locator('form:has(textarea)').boundingBox())?.width ?? 0;
    expect(composer).toBeGreaterThanOrEqual(PHONE.width - 2);
    await box.fill(text);
    await box.press('Enter');
    await page.getByRole('log', { name: t.log }).getByText(text).waitFor();
    // The box empties once the gateway took the message, which may be just after it is shown.
    await expect.poll(() => box.inputValue()).toBe('');
    expect(await overflowsSideways(page)).toBe(false);
    await shot(page, `chat-${lang}-390`);

    await page.getByRole('button', { name: t.panel }).click();
    await page.getByRole('complementary').waitFor();
    await box.waitFor({ state: 'hidden' });
    expect(await overflowsSideways(page)).toBe(false);
    await shot(page, `panel-${lang}-390`);
    await page.keyboard.press('Escape');
    await box.waitFor();
    await page.getByRole('button', { name: t.panel }).click();
    await page.getByRole('button', { name: t.close }).click();
    await box.waitFor();

    await page.getByRole('button', { name: t.back }).click();
    await search.waitFor();
    await box.waitFor({ state: 'hidden' });
    // The browser's (or the phone's) Back goes back a view and stays in the app.
    await conversation.click();
    await box.waitFor();
    await page.goBack();
    await search.waitFor();
    await box.waitFor({ state: 'hidden' });
    expect(new URL(page.url()).pathname).toBe('/chat');
  }

  test('at 390 px in Chinese, the chat is usable and nothing scrolls sideways', async () => {
    await li.getByLabel('Language').selectOption('zh');
    await phoneChat(li, 'zh', new RegExp(`^${AGENT.name}`), '手机上发的消息');
    expect(await englishWords(li)).toEqual([]);
    await li.emulateMedia({ colorScheme: 'dark' });
    await shot(li, 'list-zh-390-dark');
  });

  test('at 390 px in English, the same, and the approvals page fits too', async () => {
    const zhang = await newPage('en-US', PHONE);
    await zhang.goto(`${webUrl}/login`);
    await signIn(zhang, 'u_zhang', EN);
    await zhang.waitForURL(`${webUrl}/chat`);
    await phoneChat(zhang, 'en', /Li Lei/, 'Sent from a phone');
    await li.getByRole('navigation').getByRole('button', { name: /Zhang Wei/ }).filter({ hasText: 'Sent from a phone' }).waitFor();

    // The narrowest phone the app is made for.
    await zhang.setViewportSize({ width: 360, height: 740 });
    expect(await overflowsSideways(zhang)).toBe(false);
    await zhang.getByRole('navigation').getByRole('button', { name: /Li Lei/ }).click();
    expect((await zhang.getByRole('textbox', { name: 'Message' }).boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(220);
    expect(await overflowsSideways(zhang)).toBe(false);
    await shot(zhang, 'chat-en-360');

    // A tablet: the list beside the chat, the panel a sheet over it that Escape closes.
    await zhang.setViewportSize({ width: 800, height: 900 });
    await zhang.getByRole('searchbox', { name: 'Search colleagues' }).waitFor();
    await zhang.getByRole('textbox', { name: 'Message' }).waitFor();
    await zhang.getByRole('button', { name: 'Show workflows and approvals' }).click();
    await zhang.getByRole('complementary').waitFor();
    expect(await overflowsSideways(zhang)).toBe(false);
    await shot(zhang, 'panel-en-800');
    await zhang.keyboard.press('Escape');
    await zhang.getByRole('complementary').waitFor({ state: 'hidden' });

    await wang.setViewportSize(PHONE);
    await wang.reload();
    // Li Lei asked twice by now, once from her phone.
    await wang.getByRole('main').getByRole('article').filter({ hasText: SUMMARY }).nth(1).getByText(`${AGENT.name} for Li Lei`).waitFor();
    expect(await overflowsSideways(wang)).toBe(false);
    await shot(wang, 'approvals-en-390');
    await zhang.context().close();
    await li.context().close();
    await wang.context().close();
  });

  test('no uncaught errors in the pages', () => {
    expect(browsing!.pageErrors).toEqual([]);
  });
});
