import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { ulid } from 'ulid';
import type { AgentReply, Message } from '../schemas/index.js';
import { startBrowserStack, type BrowserStack } from './browser.js';
import { DEMO_PASSWORD, type Stack } from './stack.js';
import { TestClient } from './client.js';

/**
 * The web app in a real browser (Debian's Chromium, installed by `npm test`'s install step) against
 * a real gateway, worker and demo agent: sign in, chat with the AI sales assistant, see its
 * workflow, receive a colleague's message live, have an agent's plan approved or rejected on the
 * approvals page, and hand a chat to a human.
 */
const SCREENSHOT = '/tmp/mchat-chat.png';
const AGENT_REPLY_MS = 20_000;

/**
 * A pricing agent of the test's own, so the approval flow does not depend on what the demo agents
 * say: any discount needs Wang Fang's approval.
 */
const PRICING = { id: 'a_pricing', name: 'Pricing Bot', title: 'AI pricing assistant' };
function pricingReply(text: string): AgentReply {
  const discount = /discount (\d+)%/i.exec(text)?.[1];
  if (!discount) return { text: 'Ask me for a discount, e.g. "discount 10%".' };
  return {
    text: `A ${discount}% discount needs approval; I have asked Wang Fang.`,
    needs_approval: { approver: 'u_wang', summary: `${discount}% discount on SO-1001 for ACME` },
  };
}

describe('web app in a browser', () => {
  let browsing: BrowserStack | undefined;
  let stack: Stack;
  let webUrl = '';
  let li: Page;
  let wang: Page;

  // English whatever the machine's language: the app follows the browser's (test/web-i18n.e2e.test.ts covers Chinese).
  const newPage = () => browsing!.newPage({ locale: 'en-US' });

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
    await page.getByRole('list', { name: 'Colleagues found' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();
    await page.getByRole('main').getByRole('heading', { level: 1, name }).waitFor();
  }

  async function send(page: Page, text: string): Promise<void> {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
  }

  const message = (page: Page, text: string) => page.getByRole('main').getByRole('article').filter({ hasText: text });
  const workflowCard = (page: Page, text: string | RegExp) => page.getByRole('complementary').getByRole('article').filter({ hasText: text });
  const approvalsLink = (page: Page) => page.getByRole('banner').getByRole('link', { name: /^Approvals/ });
  const approval = (page: Page, summary: string) => page.getByRole('main').getByRole('article').filter({ hasText: summary });

  beforeAll(async () => {
    browsing = await startBrowserStack();
    ({ stack, webUrl } = browsing);
    await browsing.createAgent(PRICING, pricingReply);
  });

  afterAll(() => browsing?.stop());

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
    // A search that finds nobody says so, and clearing the box takes the notice away.
    const box = li.getByRole('searchbox', { name: 'Search colleagues' });
    await box.fill('王五不存在');
    await li.getByRole('status').getByText('No colleague matches “王五不存在”').waitFor();
    await box.fill('');
    await li.getByRole('status').filter({ hasText: 'No colleague matches' }).waitFor({ state: 'detached' });
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
    expect(new URL(zhang.url()).pathname).toBe('/chat');
    await zhang.context().close();
  });

  test('an agent’s plan waits in the workflow panel, naming the approver, while Wang Fang’s badge counts it', async () => {
    wang = await signedIn('u_wang', 'Wang Fang');
    await openDirect(li, PRICING.id, PRICING.name);
    await send(li, 'discount 15% for SO-1001');

    const card = workflowCard(li, /waiting/i);
    await card.getByText('Awaiting approval by Wang Fang').waitFor({ timeout: AGENT_REPLY_MS });
    await card.getByText('waiting for approval by Wang Fang').waitFor();
    await card.getByRole('list', { name: 'Agents asked' }).getByText(PRICING.name).waitFor();
    await card.getByRole('list', { name: 'Agents asked' }).getByText('answered').waitFor();

    // Live: Wang Fang's page was open before the task existed.
    await approvalsLink(wang).filter({ hasText: '1' }).waitFor();
    expect(await approvalsLink(wang).getAttribute('aria-current')).toBeNull();
  });

  test('Wang Fang approves it on /approvals with a comment; the badge clears and the workflow completes', async () => {
    await approvalsLink(wang).click();
    await wang.waitForURL(`${webUrl}/approvals`);
    await wang.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
    // Navigating inside the app keeps the connection.
    await wang.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor();

    const task = approval(wang, '15% discount on SO-1001 for ACME');
    await task.getByText(`${PRICING.name} for Li Lei`).waitFor();
    await task.getByLabel('Comment (optional)').fill('Fine for a three-year contract.');
    await task.getByRole('button', { name: 'Approve' }).click();

    await task.getByRole('status').filter({ hasText: 'Approved by you.' }).waitFor();
    await task.getByText('Fine for a three-year contract.').waitFor();
    await expect.poll(() => approvalsLink(wang).textContent()).toMatch(/^\s*Approvals\s*$/);
    await wang.getByText('Nothing is waiting for your approval.').waitFor();

    const done = workflowCard(li, /completed/i).filter({ hasText: 'done' });
    await done.waitFor({ timeout: AGENT_REPLY_MS });
    expect(await done.getByText(/Awaiting approval/).count()).toBe(0);
  });

  test('a new task turns up on the open approvals page live, and a rejection reaches the asker’s panel', async () => {
    await send(li, 'discount 40% for SO-1001');
    const task = approval(wang, '40% discount on SO-1001 for ACME');
    await task.getByRole('button', { name: 'Reject' }).click({ timeout: AGENT_REPLY_MS });
    await task.getByRole('status').filter({ hasText: 'Rejected by you.' }).waitFor();
    await workflowCard(li, 'rejected by Wang Fang').waitFor({ timeout: AGENT_REPLY_MS });
  });

  test('Li Lei hands the pricing chat to a human, sees who has it, and releases it', async () => {
    const main = li.getByRole('main');
    await main.getByText('Hand off to a human').click();
    await main.getByLabel('Reason (optional)').fill('the customer wants to negotiate');
    await main.getByRole('button', { name: 'Ask for a human colleague' }).click();

    const banner = main.getByRole('status').filter({ hasText: 'Wang Fang is handling this conversation' });
    await banner.waitFor({ timeout: AGENT_REPLY_MS });
    await banner.getByText('the customer wants to negotiate').waitFor();

    // Wang Fang, who took over, finds the chat in her list and answers in it; Li Lei sees it there.
    await wang.getByRole('banner').getByRole('link', { name: 'Chat' }).click();
    const handed = wang.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: /·.*Li Lei|Li Lei.*·/ });
    await handed.click();
    await wang.getByRole('main').getByRole('article').filter({ hasText: 'discount' }).first().waitFor();
    const reply = 'Wang Fang here: I can do 12% on a three-year contract.';
    await send(wang, reply);
    await message(li, reply).waitFor();

    // A reload starts from the server's word: the conversation list carries the hand-off.
    await li.reload();
    await li.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor();
    await openDirect(li, PRICING.id, PRICING.name);
    await banner.waitFor();
    await banner.getByRole('button', { name: 'Release to the agents' }).click();
    await banner.waitFor({ state: 'detached' });
    await main.getByText('Hand off to a human').waitFor();
    // Released, the chat leaves the colleague's list.
    await handed.waitFor({ state: 'detached' });
    await li.context().close();
    await wang.context().close();
  });

  test('attachment links in messages open on the app’s own origin; a tampered link is refused', async () => {
    const bytes = Buffer.from('quarterly figures\n'.repeat(100));
    const token = await stack.login('u_li');
    const up = await fetch(`${stack.httpUrl}/api/files?name=q3.txt`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: bytes,
    });
    const file = (await up.json()) as { object_id: string; name: string; size: number; type: string; sha256: string };
    const client = await TestClient.connect(stack.mqttUrl, 'u_li', token, 'files');
    try {
      const sent = await client.ok<{ conversation_id: string; seq: number }>('msg.send', {
        to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: 'figures', attachments: [file] },
      });
      const { messages } = await client.ok<{ messages: Message[] }>('msg.history', { conversation_id: sent.conversation_id, after_seq: sent.seq - 1, limit: 1 });
      const url = messages[0]!.body.attachments[0]!.url!;
      expect(url).toMatch(/^\/api\/files\//);
      const res = await fetch(`${webUrl}${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.headers.get('content-disposition')).toContain('q3.txt');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
      const tampered = url.replace(/exp=(\d+)/, (_, exp: string) => `exp=${Number(exp) + 60}`);
      expect((await fetch(`${webUrl}${tampered}`)).status).toBe(403);
    } finally {
      await client.close();
    }
  });

  test('no uncaught errors in the pages', () => {
    expect(browsing!.pageErrors).toEqual([]);
  });
});
