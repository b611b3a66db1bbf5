import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import type { AuditEntry } from '../schemas/index.js';
import { startBrowserStack, type BrowserStack } from './browser.js';
import { DEMO_PASSWORD } from './stack.js';
import { TestClient } from './client.js';
import { ulid } from 'ulid';

/**
 * The org chart in two browsers against the real stack: everyone sees departments, heads and
 * reporting lines; an admin moves people by a form and by drag and drop, renames a department and
 * names its head; each change is audited and shows in the other browser without a reload.
 */
const SCREENSHOTS = resolve('.mchat/screenshots');
const DESKTOP = { width: 1400, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Run in the page (as a string: the tests are type-checked without the DOM's types). */
const FITS = 'document.documentElement.scrollWidth <= window.innerWidth';

describe('the org chart', () => {
  let browsing: BrowserStack | undefined;
  let webUrl = '';
  let wang: Page;
  let li: Page;

  async function signedIn(employeeId: string, locale = 'en-US'): Promise<Page> {
    const page = await browsing!.newPage({ locale, viewport: DESKTOP });
    await page.goto(`${webUrl}/login`);
    await page.getByLabel(locale === 'en-US' ? 'Employee id' : '员工编号').fill(employeeId);
    await page.getByLabel(locale === 'en-US' ? 'Password' : '密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: locale === 'en-US' ? 'Sign in' : '登录' }).click();
    await page.waitForURL(`${webUrl}/chat`);
    return page;
  }

  const department = (page: Page, name: string) => page.getByRole('region', { name, exact: true });
  const person = (page: Page, where: string, name: string) => department(page, where).getByRole('listitem').filter({ hasText: name });
  async function shot(page: Page, name: string) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: false });
  }
  async function audited(op: string, target: string): Promise<AuditEntry[]> {
    const token = await browsing!.stack.login('u_wang');
    const res = await fetch(`${browsing!.stack.httpUrl}/api/admin/audit?${new URLSearchParams({ op, target })}`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { entries: AuditEntry[] }).entries;
  }

  beforeAll(async () => {
    browsing = await startBrowserStack();
    ({ webUrl } = browsing);
    wang = await signedIn('u_wang');
    li = await signedIn('u_li');
    for (const page of [wang, li]) {
      await page.getByRole('banner').getByRole('link', { name: 'Organisation' }).click();
      await page.getByRole('heading', { level: 1, name: 'Organisation' }).waitFor();
    }
  });

  afterAll(() => browsing?.stop());

  test('everyone sees the departments with their heads and reporting lines; only an admin may change them', async () => {
    await person(li, 'Sales', 'Li Lei').getByText('reports to Wang Fang').waitFor();
    await person(li, 'Sales', 'Wang Fang').getByText('Head', { exact: true }).waitFor();
    await person(li, 'Sales', 'Sales Assistant').getByText('AI', { exact: true }).waitFor();
    expect(await li.getByRole('button', { name: /^Change/ }).count()).toBe(0);
    expect(await li.getByRole('button', { name: 'Export JSON' }).count()).toBe(0);
    await wang.getByRole('button', { name: 'Change Li Lei' }).waitFor();
    await shot(wang, 'org-en-1400');
  });

  test('an admin moves Li Lei with the form; the move is audited and Li sees it without a reload', async () => {
    await li.evaluate(() => ((globalThis as { e2eMark?: string }).e2eMark = 'same page'));
    await wang.getByRole('button', { name: 'Change Li Lei' }).click();
    const sheet = wang.getByRole('dialog', { name: 'Change Li Lei' });
    await sheet.getByLabel('Department').selectOption({ label: 'Finance' });
    await sheet.getByRole('button', { name: 'Save' }).click();
    await wang.getByRole('status').filter({ hasText: 'Saved: Li Lei.' }).waitFor();

    await person(li, 'Finance', 'Li Lei').waitFor();
    expect(await person(li, 'Sales', 'Li Lei').count()).toBe(0);
    expect(await li.evaluate(() => (globalThis as { e2eMark?: string }).e2eMark)).toBe('same page');
    const [entry] = await audited('admin.employee.move', 'u_li');
    expect(entry).toMatchObject({ actor: 'u_wang', ok: true, before: { department_id: 'dep_sales' }, after: { department_id: 'dep_finance' } });
  });

  test('an admin drags Zhang Wei onto Sales, renames Sales and makes Zhang its head', async () => {
    await person(wang, 'Finance', 'Zhang Wei').dragTo(department(wang, 'Sales').getByRole('heading', { name: 'Sales' }));
    await person(li, 'Sales', 'Zhang Wei').waitFor();
    expect((await audited('admin.employee.move', 'u_zhang'))[0]).toMatchObject({ ok: true, after: { department_id: 'dep_sales' } });

    await wang.getByRole('button', { name: 'Change Sales', exact: true }).click();
    const sheet = wang.getByRole('dialog', { name: 'Change Sales', exact: true });
    await sheet.getByLabel('Name').fill('Sales & Partners');
    await sheet.getByRole('button', { name: 'Save' }).click();
    await department(li, 'Sales & Partners').waitFor();

    await wang.getByRole('button', { name: 'Change Zhang Wei' }).click();
    const member = wang.getByRole('dialog', { name: 'Change Zhang Wei' });
    await member.getByLabel('Heads Sales & Partners').check();
    await member.getByLabel('Manager').selectOption({ label: 'Wang Fang' });
    await member.getByRole('button', { name: 'Save' }).click();
    await person(li, 'Sales & Partners', 'Zhang Wei').getByText('Head', { exact: true }).waitFor();
    await person(li, 'Sales & Partners', 'Zhang Wei').getByText('reports to Wang Fang').waitFor();
    expect((await audited('admin.department.set_head', 'dep_sales'))[0]).toMatchObject({ ok: true, before: { head_id: 'u_wang' }, after: { head_id: 'u_zhang' } });
    expect((await audited('admin.department.rename', 'dep_sales'))[0]).toMatchObject({ ok: true, after: { name: 'Sales & Partners' } });
  });

  test('a department name the gateway would refuse is refused in the form, in the reader’s words', async () => {
    await wang.getByRole('button', { name: 'New department' }).click();
    const sheet = wang.getByRole('dialog', { name: 'New department' });
    await sheet.getByLabel('Name').fill('Research');
    await sheet.getByLabel(/^Id/).fill('has spaces');
    await sheet.getByRole('button', { name: 'Create' }).click();
    await sheet.getByRole('alert').filter({ hasText: 'Give an id of letters, digits, _ or -.' }).waitFor();
    await sheet.getByLabel(/^Id/).fill('dep_research');
    await sheet.getByRole('button', { name: 'Create' }).click();
    await department(li, 'Research').waitFor();
  });

  test('in Chinese and on a phone the chart reads and nothing scrolls sideways', async () => {
    const zh = await signedIn('u_zhang', 'zh-CN');
    await zh.goto(`${webUrl}/org`);
    await zh.getByRole('heading', { level: 1, name: '组织架构' }).waitFor();
    await person(zh, 'Sales & Partners', 'Zhang Wei').getByText('负责人', { exact: true }).waitFor();
    await shot(zh, 'org-zh-1400');
    await zh.setViewportSize(PHONE);
    expect(await zh.evaluate(FITS)).toBe(true);
    await shot(zh, 'org-zh-390');
    await wang.setViewportSize(PHONE);
    expect(await wang.evaluate(FITS)).toBe(true);
    await shot(wang, 'org-en-390');
  });

  test('the cockpit shows the organisation’s figures as charts, with the same figures as tables for screen readers', async () => {
    // Some traffic to count: two messages and a question the sales assistant answers.
    const { stack } = browsing!;
    const client = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'), 'cockpit');
    for (const [to, text] of [['u_zhang', 'figures, please'], ['a_sales', '查订单 SO-1001']] as const) {
      await client.ok('msg.send', { to: { direct: to }, client_msg_id: ulid(), body: { text } });
    }
    await client.waitFor((r) => JSON.stringify(r.json).includes('"from":"a_sales"'), 20_000);
    await client.close();

    await wang.setViewportSize(DESKTOP);
    await wang.goto(`${webUrl}/admin/cockpit`);
    await wang.getByRole('heading', { level: 1, name: 'Cockpit' }).waitFor();
    const tiles = wang.locator('dl.tiles');
    await tiles.getByText('Active people').waitFor();
    expect(Number(await tiles.locator('div').filter({ hasText: 'Active people' }).locator('dd').textContent())).toBeGreaterThanOrEqual(0);
    expect(await wang.locator('figure canvas').count()).toBeGreaterThanOrEqual(3);
    expect(Number(await tiles.locator('div').filter({ hasText: 'Messages' }).locator('dd').textContent())).toBeGreaterThanOrEqual(3);
    await wang.getByRole('table').filter({ hasText: 'p95 answer time' }).getByRole('row', { name: /Sales Assistant/ }).waitFor();
    const perDay = wang.getByRole('table', { name: 'Messages per day' });
    expect(await perDay.getByRole('row').count()).toBe(15);
    await wang.getByLabel('Period').selectOption({ label: 'Last 7 days' });
    await expect.poll(() => perDay.getByRole('row').count()).toBe(8);
    await shot(wang, 'cockpit-en-1400');
    await wang.setViewportSize(PHONE);
    expect(await wang.evaluate(FITS)).toBe(true);
    await shot(wang, 'cockpit-en-390');
  });

  test('no uncaught errors in the pages', () => {
    expect(browsing!.pageErrors).toEqual([]);
  });
});
