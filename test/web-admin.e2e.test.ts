import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startBrowserStack, type BrowserStack } from './browser.js';
import { DEMO_PASSWORD, type Stack } from './stack.js';

/**
 * The admin console in a real browser against a real gateway and worker: an admin creates an
 * agent with the form (checked before it is sent) and sees its API secret once, gives it a new
 * one, disables and re-enables a person, and finds all of it in the audit log with a filter, and
 * as a file; a member who opens the console is refused. Screenshots of each screen at 1400 and
 * 390 px, in English and Chinese, go to .mchat/screenshots/.
 */
const SCREENSHOTS = resolve('.mchat/screenshots');
const DESKTOP = { width: 1400, height: 900 };
const PHONE = { width: 390, height: 844 };
const AGENT = { id: 'a_billing', name: 'Billing Bot' };
const REASON = 'On leave until March';

describe('the admin console', () => {
  let browsing: BrowserStack | undefined;
  let stack: Stack;
  let webUrl = '';
  let wang: Page;

  async function signedIn(employeeId: string, locale = 'en-US', viewport = DESKTOP): Promise<Page> {
    const page = await browsing!.newPage({ locale, viewport });
    await page.goto(`${webUrl}/login`);
    await page.getByLabel('Employee id').fill(employeeId);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${webUrl}/chat`);
    await page.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor();
    return page;
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
  }

  const overflowsSideways = (page: Page) => page.evaluate('document.documentElement.scrollWidth > window.innerWidth');
  const directory = (page: Page) => page.getByRole('list', { name: 'People and agents' });
  const row = (page: Page, name: string) => directory(page).getByRole('listitem').filter({ has: page.getByText(name, { exact: true }) });
  const secretOf = async (page: Page) => (await page.getByRole('dialog').getByLabel('API secret').inputValue());
  const storedSecret = async (id: string) => (await stack.m.Credential.findOne({ employee_id: id }).lean())?.api_secret;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browsing = await startBrowserStack();
    ({ stack, webUrl } = browsing);
    wang = await signedIn('u_wang');
    await wang.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: webUrl });
  });

  afterAll(() => browsing?.stop());

  test('a member sees no way in, and opening the console is refused in their language', async () => {
    const li = await signedIn('u_li');
    expect(await li.getByRole('banner').getByRole('link', { name: 'Admin' }).count()).toBe(0);
    const res = await li.goto(`${webUrl}/admin`);
    expect(res?.status()).toBe(403);
    await li.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
    await li.getByText('This page is for administrators only.', { exact: false }).waitFor();
    // The header stays, so they can go on elsewhere.
    await li.getByRole('banner').getByRole('link', { name: 'Chat' }).waitFor();
    await shot(li, 'admin-refused-en-1400');
    await li.getByLabel('Language').selectOption('zh');
    await li.getByRole('heading', { level: 1, name: '无权访问' }).waitFor();
    expect(await li.goto(`${webUrl}/admin/audit`).then((r) => r?.status())).toBe(403);
    await li.getByText('此页面仅供管理员使用。', { exact: false }).waitFor();
    await shot(li, 'admin-refused-zh-1400');
    await li.context().close();
  });

  test('an admin opens the console from the header: the directory lists people and agents', async () => {
    await wang.getByRole('banner').getByRole('link', { name: 'Admin' }).click();
    await wang.waitForURL(`${webUrl}/admin/directory`);
    await wang.getByRole('heading', { level: 1, name: 'Directory' }).waitFor();
    await row(wang, 'Li Lei').waitFor();
    await row(wang, 'Sales Assistant').getByText('AI', { exact: true }).waitFor();
    expect(await wang.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Directory' }).getAttribute('aria-current')).toBe('page');
    await wang.getByRole('radio', { name: 'Agents' }).check({ force: true });
    await expect.poll(() => directory(wang).getByRole('listitem').count()).toBe(3);
    await wang.getByRole('radio', { name: 'All' }).check({ force: true });
    await shot(wang, 'admin-directory-en-1400');
  });

  test('creates an agent with the form, which says what is missing first, and shows its API secret once', async () => {
    await wang.getByRole('button', { name: 'New agent' }).click();
    const sheet = wang.getByRole('dialog', { name: 'New agent' });
    await sheet.getByRole('button', { name: 'Create agent' }).click();
    await sheet.getByRole('alert').filter({ hasText: 'Check the fields marked.' }).waitFor();
    expect(await sheet.getByLabel('Employee id').getAttribute('aria-invalid')).toBe('true');
    await sheet.getByLabel('Webhook').fill('ftp://billing');
    await sheet.getByRole('button', { name: 'Create agent' }).click();
    await sheet.getByText('A web address starting with http:// or https://.').waitFor();
    expect(await stack.m.Employee.exists({ id: AGENT.id })).toBeNull();

    await sheet.getByLabel('Employee id').fill(AGENT.id);
    await sheet.getByLabel('Name', { exact: true }).fill(AGENT.name);
    await sheet.getByLabel('Title').fill('AI billing clerk');
    await sheet.getByLabel('Department').selectOption({ label: 'Finance' });
    await sheet.getByLabel('Manager').fill('Wang');
    await sheet.getByRole('button', { name: /^Wang Fang/ }).click();
    await sheet.getByLabel('Model type').fill('rules');
    await sheet.getByLabel('Webhook').fill('http://127.0.0.1:9/billing');
    await sheet.getByLabel('Answer within (seconds)').fill('20');
    await sheet.getByLabel('Trigger keywords').fill('billing, 账单');
    await sheet.getByLabel('Groups it joins').fill('g_finance');
    await sheet.getByRole('button', { name: 'Add a capability' }).click();
    const card = sheet.getByRole('listitem', { name: 'Capability 1' });
    await card.getByLabel('Name').fill('账单查询');
    await card.getByLabel('Description').fill('按订单号查账单');
    await card.getByLabel('Examples').fill('账单 SO-1001');
    await card.getByLabel('Keywords').fill('账单, bill');
    await shot(wang, 'admin-new-agent-en-1400');
    await sheet.getByRole('button', { name: 'Create agent' }).click();

    const secretSheet = wang.getByRole('dialog', { name: `API secret of ${AGENT.name}` });
    await secretSheet.getByRole('note').filter({ hasText: 'it is shown only this once' }).waitFor();
    const secret = await secretOf(wang);
    expect(secret).toBe(await storedSecret(AGENT.id));
    await secretSheet.getByRole('button', { name: 'Copy' }).click();
    await secretSheet.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    expect(await wang.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await shot(wang, 'admin-secret-en-1400');

    const stored = await stack.m.Employee.findOne({ id: AGENT.id }).lean();
    expect(stored).toMatchObject({
      name: AGENT.name, department_id: 'dep_finance', manager_id: 'u_wang', is_ai_agent: true,
      agent_profile: {
        model_type: 'rules', webhook_endpoint: 'http://127.0.0.1:9/billing', response_timeout: 20_000,
        trigger_keywords: ['billing', '账单'], auto_join_groups: ['g_finance'],
        capabilities: [{ name: '账单查询', description: '按订单号查账单', examples: ['账单 SO-1001'], trigger_keywords: ['账单', 'bill'] }],
      },
    });
    expect((await stack.m.Group.findOne({ id: 'g_finance' }).lean())?.members).toContain(AGENT.id);

    // Once closed, it is gone: not on the page, not after a reload.
    await secretSheet.getByRole('button', { name: 'I have stored it, close' }).click();
    await secretSheet.waitFor({ state: 'detached' });
    await row(wang, AGENT.name).waitFor();
    expect(await wang.content()).not.toContain(secret);
    await wang.reload();
    await row(wang, AGENT.name).getByText('Model rules · capabilities: 1').waitFor();
    expect(await wang.content()).not.toContain(secret);
  });

  test('gives the agent a new API secret, asked first, shown once; the old one stops working', async () => {
    const old = await storedSecret(AGENT.id);
    await row(wang, AGENT.name).getByRole('button', { name: `Give ${AGENT.name} a new API secret` }).click();
    const confirm = wang.getByRole('dialog', { name: `A new API secret for ${AGENT.name}?` });
    await confirm.getByText('The current secret stops working at once', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Make a new secret' }).click();
    const secretSheet = wang.getByRole('dialog', { name: `API secret of ${AGENT.name}` });
    await secretSheet.waitFor();
    const secret = await secretOf(wang);
    expect(secret).not.toBe(old);
    expect(secret).toBe(await storedSecret(AGENT.id));
    await wang.keyboard.press('Escape');
    await secretSheet.waitFor({ state: 'detached' });
    expect(await wang.content()).not.toContain(secret);
  });

  test('edits the agent: its card and its profile are stored, its capability keeps its id', async () => {
    const before = (await stack.m.Employee.findOne({ id: AGENT.id }).lean())!.agent_profile!;
    await row(wang, AGENT.name).getByRole('button', { name: `Edit ${AGENT.name}` }).click();
    const sheet = wang.getByRole('dialog', { name: `Edit ${AGENT.name}` });
    expect(await sheet.getByLabel('Answer within (seconds)').inputValue()).toBe('20');
    expect(await sheet.getByLabel('Employee id').count()).toBe(0);
    await sheet.getByLabel('Title').fill('AI billing and invoices');
    await sheet.getByLabel('Answer within (seconds)').fill('45');
    const card = sheet.getByRole('listitem', { name: 'Capability 1' });
    await card.getByLabel('Name').fill('账单与发票');
    await card.getByLabel('Keywords').fill('账单, bill, invoice');
    await sheet.getByLabel('Answer within (seconds)').fill('601');
    await sheet.getByRole('button', { name: 'Save' }).click();
    await sheet.getByText('Between 1 and 600 seconds.').waitFor();
    await sheet.getByLabel('Answer within (seconds)').fill('45');
    await sheet.getByText('Between 1 and 600 seconds.').waitFor({ state: 'detached' });
    await sheet.getByRole('button', { name: 'Save' }).click();
    await sheet.waitFor({ state: 'detached' });
    await row(wang, AGENT.name).getByText(/AI billing and invoices/).waitFor();
    const after = await stack.m.Employee.findOne({ id: AGENT.id }).lean();
    expect(after).toMatchObject({ title: 'AI billing and invoices', agent_profile: { response_timeout: 45_000, webhook_endpoint: before.webhook_endpoint } });
    const [cap] = after!.agent_profile!.capabilities as { id: string; name: string; trigger_keywords: string[] }[];
    expect(cap).toMatchObject({ id: (before.capabilities[0] as { id: string }).id, name: '账单与发票', trigger_keywords: ['账单', 'bill', 'invoice'] });
  });

  test('disables a person with a reason and enables them again; the directory filters by status', async () => {
    await row(wang, 'Li Lei').getByRole('button', { name: 'Disable Li Lei' }).click();
    const sheet = wang.getByRole('dialog', { name: 'Disable Li Lei?' });
    await sheet.getByLabel('Reason').fill(REASON);
    await sheet.getByRole('button', { name: 'Disable' }).click();
    await sheet.waitFor({ state: 'detached' });
    const li = row(wang, 'Li Lei');
    await li.getByText('Disabled', { exact: true }).waitFor();
    await li.getByText(new RegExp(`^Disabled by Wang Fang, .+: ${REASON}$`)).waitFor();
    await expect(stack.login('u_li')).rejects.toThrow(/401/);

    await wang.getByLabel('Status').selectOption('disabled');
    await expect.poll(() => directory(wang).getByRole('listitem').allTextContents()).toEqual([expect.stringContaining('Li Lei')]);
    await shot(wang, 'admin-directory-disabled-en-1400');

    await li.getByRole('button', { name: 'Enable Li Lei again' }).click();
    await li.getByText('Disabled', { exact: true }).waitFor({ state: 'detached' });
    expect(await stack.login('u_li')).toMatch(/\./);
    await wang.getByLabel('Status').selectOption('all');
    await wang.getByRole('searchbox', { name: 'Search the directory' }).fill('billing');
    await expect.poll(() => directory(wang).getByRole('listitem').allTextContents()).toEqual([expect.stringContaining(AGENT.name)]);
    await wang.getByRole('searchbox', { name: 'Search the directory' }).fill('');
    await row(wang, 'Li Lei').waitFor();
  });

  test('the audit log shows each of those actions, narrows to one with a filter, and exports it as a file', async () => {
    await wang.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit log' }).click();
    await wang.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const entries = wang.getByRole('list', { name: 'Audit entries, newest first' });
    /** The entries of `op` on `target`, each said in words: "Wang Fang disabled u_li". */
    const entry = (op: string, words: string, target: string) =>
      entries.getByRole('listitem').filter({ has: wang.getByText(op, { exact: true }) }).filter({ hasText: new RegExp(`Wang Fang\\s*${words}\\s*${target}`) });
    await entry('admin.employee.enable', 'enabled again', 'u_li').waitFor();
    await entry('admin.employee.disable', 'disabled', 'u_li').waitFor();
    await entry('admin.agent.rotate_secret', 'gave a new API secret to', AGENT.id).waitFor();
    await entry('admin.agent.create', 'created an agent', AGENT.id).waitFor();
    // The console's own searches are reads, left out unless asked for.
    expect(await entries.getByText('admin.employee.list', { exact: true }).count()).toBe(0);
    await shot(wang, 'admin-audit-en-1400');

    await wang.getByLabel('Action').fill('admin.employee.disable');
    await wang.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => entries.getByRole('listitem').count()).toBe(1);
    const disabled = entries.getByRole('listitem').first();
    await disabled.getByText('Wang Fang', { exact: true }).waitFor();
    await disabled.getByText('Done', { exact: true }).waitFor();
    await disabled.getByText('Before and after').click();
    await disabled.getByText(`"reason": "${REASON}"`).waitFor();

    const download = wang.waitForEvent('download');
    await wang.getByRole('button', { name: 'Download CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('mchat-audit.csv');
    const lines = readFileSync((await file.path())!, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('audit_id,ts,actor,op,target,ok,error,before,after,via');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/,u_wang,admin\.employee\.disable,u_li,true,/)]);
    await shot(wang, 'admin-audit-filtered-en-1400');
  });

  test('in Chinese and at 390 px the screens are readable and nothing scrolls sideways', async () => {
    await wang.getByRole('button', { name: 'Clear' }).click();
    await wang.getByLabel('Language').selectOption('zh');
    await wang.getByRole('heading', { level: 1, name: '审计日志' }).waitFor();
    await shot(wang, 'admin-audit-zh-1400');
    await wang.getByRole('navigation', { name: '管理栏目' }).getByRole('link', { name: '通讯录' }).click();
    await wang.getByRole('heading', { level: 1, name: '通讯录' }).waitFor();
    await shot(wang, 'admin-directory-zh-1400');
    await wang.getByRole('button', { name: '新建智能体' }).click();
    await wang.getByRole('dialog', { name: '新建智能体' }).getByRole('button', { name: '创建智能体' }).click();
    await wang.getByRole('dialog').getByRole('alert').filter({ hasText: '请检查标出的字段。' }).waitFor();
    await shot(wang, 'admin-new-agent-zh-1400');
    await wang.keyboard.press('Escape');

    for (const lang of ['en', 'zh'] as const) {
      const t = lang === 'en'
        ? { id: 'Employee id', password: 'Password', signIn: 'Sign in', admin: 'Admin', directory: 'Directory', list: 'People and agents', audit: 'Audit log', newPerson: 'New person', create: 'Create person', entries: 'Audit entries, newest first' }
        : { id: '员工编号', password: '密码', signIn: '登录', admin: '管理', directory: '通讯录', list: '员工和智能体', audit: '审计日志', newPerson: '新建员工', create: '创建员工', entries: '审计记录（最新在前）' };
      const phone = await browsing!.newPage({ locale: lang === 'en' ? 'en-US' : 'zh-CN', viewport: PHONE });
      await phone.goto(`${webUrl}/login`);
      await phone.getByLabel(t.id).fill('u_wang');
      await phone.getByLabel(t.password).fill(DEMO_PASSWORD);
      await phone.getByRole('button', { name: t.signIn }).click();
      await phone.waitForURL(`${webUrl}/chat`);
      await phone.getByRole('banner').getByRole('link', { name: t.admin }).click();
      await phone.getByRole('heading', { level: 1, name: t.directory }).waitFor();
      await phone.getByRole('list', { name: t.list }).getByRole('listitem').filter({ hasText: 'Li Lei' }).waitFor();
      await shot(phone, `admin-directory-${lang}-390`);
      expect(await overflowsSideways(phone)).toBe(false);
      await phone.getByRole('button', { name: t.newPerson }).click();
      await phone.getByRole('dialog', { name: t.newPerson }).getByRole('button', { name: t.create }).click();
      await shot(phone, `admin-new-person-${lang}-390`);
      await phone.keyboard.press('Escape');
      await phone.getByRole('link', { name: t.audit }).click();
      await phone.getByRole('heading', { level: 1, name: t.audit }).waitFor();
      await phone.getByRole('list', { name: t.entries }).getByRole('listitem').filter({ hasText: 'u_li' }).first().waitFor();
      await shot(phone, `admin-audit-${lang}-390`);
      expect(await overflowsSideways(phone)).toBe(false);
      await phone.context().close();
    }
    expect(browsing!.pageErrors).toEqual([]);
  });
});
