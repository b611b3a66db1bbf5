import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, ImportReport, OrgTreeState } from '../schemas/index.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

type Tree = OrgTreeState;
type Node = Tree['departments'][number];
const find = (nodes: readonly Node[], id: string): Node | undefined => {
  for (const n of nodes) {
    if (n.id === id) return n;
    const inside = find(n.children, id);
    if (inside) return inside;
  }
  return undefined;
};

/** What the org chart screen needs of the gateway: heads, names, reporting lines, and an export the import takes back. */
describe('the org chart: department heads and names, reporting lines in the tree, the organisation exported', () => {
  let stack: Stack;
  let admin: TestClient;
  let li: TestClient;
  let watcher: TestClient;

  const lastTree = async (match: (t: Tree) => boolean) =>
    (await watcher.waitFor((r) => r.topic === 'mchat/org/tree' && match(r.json as Tree))).json as Tree;
  const audit = (op: string, target: string) => stack.m.Audit.find({ op, target }, { _id: 0 }).sort({ audit_id: 1 }).lean<AuditEntry[]>();

  beforeAll(async () => {
    stack = await startStack();
    admin = await TestClient.connect(stack.mqttUrl, 'u_wang', await stack.login('u_wang'), 'admin');
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    watcher = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'), 'watcher');
    await watcher.mqtt.subscribeAsync('mchat/org/tree', { qos: 1 });
  });
  afterAll(async () => {
    await Promise.all([admin?.close(), li?.close(), watcher?.close()]);
    await stack?.stop();
  });

  it('carries each member’s manager in the retained tree', async () => {
    const tree = await lastTree(() => true);
    const sales = find(tree.departments, 'dep_sales')!;
    expect(sales.members.find((m) => m.id === 'u_li')).toMatchObject({ manager_id: 'u_wang' });
    expect(sales.members.find((m) => m.id === 'u_wang')).toMatchObject({ manager_id: null });
  });

  it('renames a department and sets its head, live in the tree and audited', async () => {
    await admin.ok('admin.department.rename', { id: 'dep_finance', name: 'Finance & Accounting' });
    await admin.ok('admin.department.set_head', { id: 'dep_finance', head_id: 'u_zhang' });
    const tree = await lastTree((t) => find(t.departments, 'dep_finance')?.head_id === 'u_zhang');
    expect(find(tree.departments, 'dep_finance')).toMatchObject({ name: 'Finance & Accounting', head_id: 'u_zhang' });
    expect((await audit('admin.department.rename', 'dep_finance'))[0]).toMatchObject({ ok: true, before: { name: 'Finance' }, after: { name: 'Finance & Accounting' } });
    expect((await audit('admin.department.set_head', 'dep_finance'))[0]).toMatchObject({ ok: true, before: { head_id: 'u_wang' }, after: { head_id: 'u_zhang' } });

    await admin.ok('admin.department.set_head', { id: 'dep_finance', head_id: null });
    expect((await stack.m.Department.findOne({ id: 'dep_finance' }).lean())?.head_id).toBeNull();
  });

  it('refuses an agent, an unknown employee or department, a blank name and a member, changing nothing', async () => {
    expect(errorOf(await admin.request('admin.department.set_head', { id: 'dep_sales', head_id: 'a_sales' }))).toMatchObject({ code: 'E_CONFLICT', field: 'payload.head_id' });
    expect(errorOf(await admin.request('admin.department.set_head', { id: 'dep_sales', head_id: 'u_nobody' }))).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.head_id' });
    expect(errorOf(await admin.request('admin.department.rename', { id: 'dep_nowhere', name: 'X' }))).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.id' });
    expect(errorOf(await admin.request('admin.department.rename', { id: 'dep_sales', name: '   ' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.name' });
    expect(errorOf(await li.request('admin.department.rename', { id: 'dep_sales', name: 'Mine now' })).code).toBe('E_FORBIDDEN');
    expect(await stack.m.Department.findOne({ id: 'dep_sales' }, { _id: 0, name: 1, head_id: 1 }).lean()).toEqual({ name: 'Sales', head_id: 'u_wang' });
  });

  it('keeps every one of concurrent renames and head changes of different departments', async () => {
    for (const [id, name] of [['dep_a', 'A'], ['dep_b', 'B'], ['dep_c', 'C'], ['dep_d', 'D']]) await admin.ok('admin.department.create', { id, name, parent_id: null });
    const ids = ['dep_a', 'dep_b', 'dep_c', 'dep_d'];
    await Promise.all(ids.flatMap((id) => [
      admin.ok('admin.department.rename', { id, name: `${id} renamed` }),
      admin.ok('admin.department.set_head', { id, head_id: 'u_li' }),
    ]));
    const docs = await stack.m.Department.find({ id: { $in: ids } }, { _id: 0, id: 1, name: 1, head_id: 1 }).lean();
    expect(docs.sort((a, b) => a.id.localeCompare(b.id))).toEqual(ids.map((id) => ({ id, name: `${id} renamed`, head_id: 'u_li' })));
  });

  it('exports the organisation as JSON and CSV that the import takes back as already there', async () => {
    const json = await admin.ok<{ format: string; count: number; data: string }>('admin.org.export', { format: 'json' });
    const file = JSON.parse(json.data) as { departments: { id: string }[]; employees: { id: string }[]; agents: { id: string }[]; groups: { id: string }[] };
    expect(file.departments.map((d) => d.id)).toEqual(expect.arrayContaining(['dep_sales', 'dep_finance']));
    expect(file.employees.map((e) => e.id)).toEqual(['u_li', 'u_wang', 'u_zhang']);
    expect(file.agents.map((a) => a.id)).toContain('a_sales');
    expect(json.count).toBe(file.departments.length + file.employees.length + file.agents.length + file.groups.length);
    expect(json.data).not.toMatch(/password|api_secret/);
    const back = await admin.ok<ImportReport>('admin.import', { format: 'json', data: json.data, dry_run: true });
    expect(back).toMatchObject({ ok: true, errors: [], create: { departments: [], employees: [], groups: [], agents: [] } });

    const csv = await admin.ok<{ data: string }>('admin.org.export', { format: 'csv' });
    expect(csv.data.split('\r\n')[0]).toBe('id,name,title,department_id,department_name,manager_id,skills,role');
    expect(csv.data).toContain('u_li,Li Lei,Account Manager,dep_sales,Sales,u_wang,negotiation,member');
    const csvBack = await admin.ok<ImportReport>('admin.import', { format: 'csv', data: csv.data, dry_run: true });
    expect(csvBack).toMatchObject({ ok: true, errors: [], create: { employees: [] } });

    const res = await fetch(`${stack.httpUrl}/api/admin/org/export?format=csv`, { headers: { authorization: `Bearer ${await stack.login('u_wang')}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('mchat-organisation.csv');
    expect(await res.text()).toBe(csv.data);
    expect(errorOf(await li.request('admin.org.export', {})).code).toBe('E_FORBIDDEN');
  });
});
