import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { startBrowserStack, type BrowserStack } from './browser.js';
import { DEMO_PASSWORD } from './stack.js';

/**
 * The chat as two colleagues use it, each in a browser of their own, against a real gateway,
 * worker and demo agents: live messages both ways with read state, an image attached by one and
 * previewed for the other, a file over the limit refused before upload, a group created with an
 * agent whose skill the `@` autocomplete offers and who answers, a member removed, unread counts
 * that survive a reload, a reply that quotes, and a recall.
 */
const SCREENSHOTS = resolve('.mchat/screenshots');
const AGENT_REPLY_MS = 20_000;
const DESKTOP = { width: 1400, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Small, so a test file can be over it without a big upload; the image stays well under. */
const MAX_UPLOAD = 200 * 1024;
const GROUP = 'Q4 pricing';

describe('the chat between two people in two browsers', () => {
  let browsing: BrowserStack | undefined;
  let webUrl = '';
  let li: Page;
  let zhang: Page;

  async function signedIn(employeeId: string, name: string): Promise<Page> {
    const page = await browsing!.newPage({ locale: 'en-US', viewport: DESKTOP });
    await page.goto(`${webUrl}/login`);
    await page.getByLabel('Employee id').fill(employeeId);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${webUrl}/chat`);
    await page.getByRole('banner').getByText(name, { exact: true }).waitFor();
    await connected(page);
    return page;
  }

  const connected = (page: Page) => page.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor();
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const conversation = (page: Page, title: string) => nav(page).getByRole('button', { name: new RegExp(`^${title}`) });
  const heading = (page: Page, title: string) => page.getByRole('main').getByRole('heading', { level: 1, name: title }).waitFor();
  const message = (page: Page, text: string) => page.getByRole('main').getByRole('article').filter({ hasText: text });
  const box = (page: Page) => page.getByRole('textbox', { name: 'Message' });
  const unread = (page: Page, title: string) => conversation(page, title).getByLabel(/unread/);

  async function open(page: Page, title: string) {
    await conversation(page, title).click();
    await heading(page, title);
  }

  async function say(page: Page, text: string) {
    await box(page).fill(text);
    await box(page).press('Enter');
    await message(page, text).waitFor();
  }

  async function shot(page: Page, name: string) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
  }

  beforeAll(async () => {
    browsing = await startBrowserStack({ maxUploadBytes: MAX_UPLOAD });
    ({ webUrl } = browsing);
    li = await signedIn('u_li', 'Li Lei');
    zhang = await signedIn('u_zhang', 'Zhang Wei');
  });

  afterAll(() => browsing?.stop());

  test('Li writes to Zhang, who answers; each sees the other live, and Li sees when Zhang has read it', async () => {
    const search = li.getByRole('searchbox', { name: 'Search colleagues' });
    await search.fill('Zhang');
    await li.getByRole('list', { name: 'Colleagues found' }).getByRole('button', { name: /^Zhang Wei/ }).click();
    await heading(li, 'Zhang Wei');
    await say(li, 'Morning! Can you check the ACME invoice?');
    await message(li, 'Can you check the ACME invoice?').getByText('Unread', { exact: true }).waitFor();

    await open(zhang, 'Li Lei');
    await message(zhang, 'Can you check the ACME invoice?').waitFor();
    await message(li, 'Can you check the ACME invoice?').getByText('Read', { exact: true }).waitFor();

    await say(zhang, 'On it.');
    await message(li, 'On it.').waitFor();
  });

  test('Li attaches an image, which Zhang sees previewed; a file over the limit is refused before any upload', async () => {
    const png = await li.evaluate(`(() => {
      const c = document.createElement('canvas');
      c.width = 160; c.height = 90;
      const g = c.getContext('2d');
      g.fillStyle = '#1f7a5a'; g.fillRect(0, 0, 160, 90);
      g.fillStyle = '#fff'; g.fillRect(20, 20, 50, 50);
      return c.toDataURL('image/png').split(',')[1];
    })()`);
    const uploads: Request[] = [];
    li.on('request', (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/files' && uploads.push(r));

    const picker = li.locator('form input[type="file"]');
    await picker.setInputFiles({ name: 'q4-chart.png', mimeType: 'image/png', buffer: Buffer.from(String(png), 'base64') });
    const tray = li.getByRole('list', { name: 'Files to send' });
    await tray.getByRole('listitem').filter({ hasText: 'q4-chart.png' }).getByText(/ready to send/).waitFor();
    expect(uploads).toHaveLength(1);

    await picker.setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_UPLOAD + 1, 7) });
    await li.getByRole('alert').filter({ hasText: 'huge.bin is larger than 200 kB and was not attached.' }).waitFor();
    expect(uploads).toHaveLength(1);
    expect(await tray.getByRole('listitem').count()).toBe(1);

    await box(li).fill('The Q4 chart');
    await box(li).press('Enter');
    await tray.waitFor({ state: 'detached' });
    await message(li, 'The Q4 chart').getByRole('img', { name: 'q4-chart.png' }).waitFor();

    // Zhang's copy comes with a signed link, followed on the app's origin, and shows inline.
    const image = message(zhang, 'The Q4 chart').getByRole('img', { name: 'q4-chart.png' });
    await image.waitFor();
    await expect.poll(() => image.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth)).toBe(160);
    expect(await image.getAttribute('src')).toMatch(/^\/api\/files\/[0-9A-Z]+\?exp=\d+&sig=/);
    await shot(zhang, 'chat-image-en-1400');
  });

  test('a file dropped on the composer goes as a card, which Zhang downloads', async () => {
    const dropped = await li.evaluateHandle(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['PO 4711: 12 licences'], 'po-4711.txt', { type: 'text/plain' }));
      return data;
    })()`);
    const form = li.locator('form:has(textarea)');
    await form.dispatchEvent('dragover', { dataTransfer: dropped });
    await form.dispatchEvent('drop', { dataTransfer: dropped });
    await li.getByRole('list', { name: 'Files to send' }).getByText(/ready to send/).waitFor();
    await li.getByRole('button', { name: 'Send', exact: true }).click();

    const card = message(zhang, 'po-4711.txt');
    const link = card.getByRole('link', { name: 'Download po-4711.txt' });
    await link.waitFor();
    expect(await card.getByRole('img').count()).toBe(0);
    const res = await zhang.request.get(new URL(String(await link.getAttribute('href')), webUrl).href);
    expect(res.status()).toBe(200);
    expect(await res.text()).toBe('PO 4711: 12 licences');
  });

  test('Li creates a group with Zhang and the Sales Assistant; @ offers the assistant’s skill and it answers there', async () => {
    await nav(li).getByRole('button', { name: 'New group' }).click();
    const sheet = li.getByRole('dialog', { name: 'New group' });
    await sheet.getByLabel('Group name').fill(GROUP);
    const search = sheet.getByRole('searchbox', { name: 'Search colleagues' });
    for (const [query, name] of [['zhang', 'Zhang Wei'], ['Sales Ass', 'Sales Assistant']] as const) {
      await search.fill(query);
      await sheet.getByRole('list', { name: 'Colleagues found' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();
      await sheet.getByRole('list', { name: 'Members picked' }).getByText(name).waitFor();
    }
    await sheet.getByRole('button', { name: 'Create group' }).click();
    await heading(li, GROUP);
    await conversation(zhang, GROUP).waitFor();

    await box(li).pressSequentially('@订单');
    const options = li.getByRole('listbox', { name: 'People, agents and skills' });
    await options.getByRole('option').filter({ hasText: '订单查询' }).waitFor();
    await shot(li, 'chat-mention-en-1400');
    await box(li).press('Enter');
    expect(await box(li).inputValue()).toBe('@a_sales 查订单 SO-1001');
    await box(li).press('Enter');
    const answer = li.getByRole('main').getByRole('article').filter({ hasText: 'Sales Assistant' }).filter({ hasText: 'SO-1001' });
    await answer.last().waitFor({ timeout: AGENT_REPLY_MS });
    await open(zhang, GROUP);
    await message(zhang, '@a_sales 查订单 SO-1001').waitFor();

    // Who of the group has read it: a count, and the names on click.
    const readBy = message(li, '@a_sales 查订单 SO-1001').getByRole('button', { name: /^Read by/ });
    await readBy.click();
    await message(li, '@a_sales 查订单 SO-1001').getByRole('list', { name: 'Readers' }).getByText('Zhang Wei').waitFor();

    // The skills panel lists what the group's agent can be asked; one click writes the prompt.
    await li.getByRole('button', { name: 'Skills' }).click();
    const skills = li.getByRole('region', { name: 'What the agents here can do' });
    await skills.getByRole('heading', { name: /Sales Assistant/ }).waitFor();
    await skills.getByRole('button', { name: '推荐 适合小团队的方案' }).click();
    expect(await box(li).inputValue()).toBe('@a_sales 推荐 适合小团队的方案');
    await skills.waitFor({ state: 'detached' });
    await box(li).fill('');
  });

  test('the group’s owner removes Zhang, and the group leaves Zhang’s list', async () => {
    await li.getByRole('button', { name: `Settings of ${GROUP}` }).click();
    const sheet = li.getByRole('dialog', { name: `${GROUP}: settings` });
    await sheet.getByText('3 members').waitFor();
    await sheet.getByRole('button', { name: 'Remove Zhang Wei' }).click();
    await sheet.getByText('2 members').waitFor();
    await sheet.getByRole('button', { name: 'Close' }).click();
    await conversation(zhang, GROUP).waitFor({ state: 'detached' });
  });

  test('unread counts survive a reload and clear once the conversation is seen, for good', async () => {
    await open(zhang, 'Finance team');
    await open(li, 'Zhang Wei');
    await say(li, 'One more thing:');
    await say(li, 'the PO number is 4711.');
    await expect.poll(() => unread(zhang, 'Li Lei').textContent()).toBe('2');

    await zhang.reload();
    await connected(zhang);
    // The reload comes back to the conversation that was open, which is in the address.
    await heading(zhang, 'Finance team');
    expect(new URL(zhang.url()).searchParams.get('c')).toBe('g:g_finance');
    await expect.poll(() => unread(zhang, 'Li Lei').textContent()).toBe('2');

    await open(zhang, 'Li Lei');
    await message(zhang, 'the PO number is 4711.').waitFor();
    await unread(zhang, 'Li Lei').waitFor({ state: 'detached' });
    // Away from it again, so what the reload shows is what the gateway kept, not an open chat's zero.
    await open(zhang, 'Finance team');
    await zhang.reload();
    await connected(zhang);
    await heading(zhang, 'Finance team');
    await conversation(zhang, 'Li Lei').waitFor();
    expect(await unread(zhang, 'Li Lei').count()).toBe(0);
  });

  test('Zhang replies quoting Li’s message, and Li recalls one of hers, on both screens', async () => {
    await open(zhang, 'Li Lei');
    await message(zhang, 'the PO number is 4711.').getByRole('button', { name: 'Reply to Li Lei' }).click();
    await zhang.getByText('Replying to Li Lei: the PO number is 4711.').waitFor();
    await say(zhang, 'Thanks, got it.');
    await message(li, 'Thanks, got it.').locator('blockquote').getByText('the PO number is 4711.').waitFor();

    await say(li, 'Sorry, wrong chat');
    await message(zhang, 'Sorry, wrong chat').waitFor();
    await message(li, 'Sorry, wrong chat').getByRole('button', { name: 'Recall' }).click();
    await message(li, 'This message was recalled.').waitFor();
    await message(zhang, 'This message was recalled.').waitFor();
    expect(await message(zhang, 'Sorry, wrong chat').count()).toBe(0);
    await shot(li, 'chat-direct-en-1400');
  });

  test('search finds people, groups and messages, with the match marked, and opens them', async () => {
    const search = li.getByRole('searchbox', { name: 'Search colleagues' });
    await search.fill('PO number');
    const hit = li.getByRole('list', { name: 'Messages' }).getByRole('button').filter({ hasText: 'the PO number is 4711.' });
    expect(await hit.locator('mark').first().textContent()).toMatch(/PO|number/i);
    await search.fill('Q4');
    await li.getByRole('list', { name: 'Groups' }).getByRole('button', { name: GROUP }).click();
    await heading(li, GROUP);
    await search.fill('PO number');
    await hit.click();
    await heading(li, 'Zhang Wei');
  });

  test('at 390 px the image and the composer’s attach button fit the phone', async () => {
    await zhang.setViewportSize(PHONE);
    await zhang.goto(`${webUrl}/chat`);
    await connected(zhang);
    await open(zhang, 'Li Lei');
    const image = message(zhang, 'The Q4 chart').getByRole('img', { name: 'q4-chart.png' });
    await image.scrollIntoViewIfNeeded();
    const shown = await image.boundingBox();
    expect(shown && shown.x >= 0 && shown.x + shown.width <= PHONE.width).toBe(true);
    const attach = await zhang.getByRole('button', { name: 'Attach files' }).boundingBox();
    expect(attach && attach.x >= 0 && attach.x + attach.width <= PHONE.width).toBe(true);
    await shot(zhang, 'chat-image-en-390');
  });

  test('no uncaught errors in the pages', () => {
    expect(browsing!.pageErrors).toEqual([]);
  });
});
