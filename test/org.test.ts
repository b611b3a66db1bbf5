import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { AuditEntry } from '../schemas/index.js';
import { verifyPassword } from '../lib/auth.js';
import { freePort } from '../scripts/servers/servers.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

describe('organisation: admin ops, audit log, org tree and announcements', () => {
  let stack: Stack;
  let admin: TestClient;
  let li: TestClient;
  let watcher: TestClient;

  const audit = (op: string, target?: string) =>
    stack.m.Audit.find(target ? { op, target } : { op }, { _id: 0 }).sort({ audit_id: 1 }).lean<AuditEntry[]>();

  beforeAll(async () => {
    stack = await startStack();
    admin = await TestClient.connect(stack.mqttUrl, 'u_wang', await stack.login('u_wang'), 'admin');
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    watcher = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'), 'watcher');
    await watcher.mqtt.subscribeAsync(['mchat/org/tree', 'mchat/system/notify', 'mchat/profile/+', 'mchat/agent/capability/+'], { qos: 1 });
  });
  afterAll(async () => {
    await Promise.all([admin?.close(), li?.close(), watcher?.close()]);
    await stack?.stop();
  });

  it('creates a department and an employee; the tree, the profile and a join notice are announced; both are audited', async () => {
    const dep = await admin.ok('admin.department.create', { id: 'dep_ops', name: 'Operations', parent_id: 'dep_sales' });
    expect(dep).toMatchObject({ department: { id: 'dep_ops', parent_id: 'dep_sales' } });
    const created = await admin.ok<{ employee: Record<string, unknown> }>('admin.employee.create', {
      id: 'u_chen', name: 'Chen Jing', title: 'Ops lead', department_id: 'dep_ops', manager_id: 'u_wang', password: 'chen-password-1',
    });
    expect(created.employee).toMatchObject({ id: 'u_chen', department_id: 'dep_ops', status: 'active' });
    expect(JSON.stringify(created)).not.toContain('chen-password-1');

    const tree = await watcher.waitFor((r) => r.topic === 'mchat/org/tree' && JSON.stringify(r.json).includes('u_chen'));
    const sales = (tree.json as { departments: { id: string; children: { id: string; members: { id: string }[] }[] }[] })
      .departments.find((d) => d.id === 'dep_sales');
    expect(sales?.children.find((c) => c.id === 'dep_ops')?.members.map((m) => m.id)).toEqual(['u_chen']);
    await watcher.waitFor((r) => r.topic === 'mchat/profile/u_chen');
    const notice = await watcher.waitFor((r) => r.topic === 'mchat/system/notify');
    expect(notice.json).toMatchObject({ type: 'notify', kind: 'employee_joined', data: { id: 'u_chen' } });

    const [entry] = await audit('admin.employee.create', 'u_chen');
    expect(entry).toMatchObject({ actor: 'u_wang', ok: true, via: 'mqtt', after: { id: 'u_chen' } });
    expect(JSON.stringify(entry)).not.toMatch(/password/);
    const credential = await stack.m.Credential.findOne({ employee_id: 'u_chen' }).lean();
    expect(credential?.password_hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('chen-password-1', credential!.password_hash!)).toBe(true);
    expect((await audit('admin.department.create', 'dep_ops'))[0]).toMatchObject({ ok: true, after: { parent_id: 'dep_sales' } });
    const card = await li.ok<{ reporting_line: { id: string }[] }>('employee.get', { id: 'u_chen' });
    expect(card.reporting_line.map((m) => m.id)).toEqual(['u_wang']);
    // The new employee can log in at once.
    expect(await stack.login('u_chen', 'chen-password-1')).toMatch(/\./);
  });

  it('refuses duplicates, unknown references and cycles with a clear error, audits each, and changes nothing', async () => {
    const dup = await admin.request('admin.employee.create', { id: 'u_li', name: 'Another Li', password: 'long-enough-1' });
    expect(errorOf(dup)).toMatchObject({ code: 'E_CONFLICT', field: 'payload.id' });
    expect(await stack.m.Employee.countDocuments({ id: 'u_li' })).toBe(1);

    const unknownDep = await admin.request('admin.employee.move', { id: 'u_li', department_id: 'dep_nowhere' });
    expect(errorOf(unknownDep)).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.department_id' });

    // u_chen reports to u_wang: making u_wang report to u_chen would close a loop.
    const loop = await admin.request('admin.employee.set_manager', { id: 'u_wang', manager_id: 'u_chen' });
    expect(errorOf(loop)).toMatchObject({ code: 'E_CONFLICT', field: 'payload.manager_id' });
    expect((await stack.m.Employee.findOne({ id: 'u_wang' }).lean())?.manager_id ?? null).toBeNull();

    // dep_ops is inside dep_sales: moving dep_sales under dep_ops would close a loop.
    const depLoop = await admin.request('admin.department.move', { id: 'dep_sales', parent_id: 'dep_ops' });
    expect(errorOf(depLoop)).toMatchObject({ code: 'E_CONFLICT', field: 'payload.parent_id' });
    expect((await stack.m.Department.findOne({ id: 'dep_sales' }).lean())?.parent_id ?? null).toBeNull();

    const self = await admin.request('admin.employee.set_manager', { id: 'u_li', manager_id: 'u_li' });
    expect(errorOf(self).code).toBe('E_CONFLICT');

    const refused = await stack.m.Audit.find({ ok: false, actor: 'u_wang' }).lean();
    expect(refused.map((e) => e.op)).toEqual(expect.arrayContaining([
      'admin.employee.create', 'admin.employee.move', 'admin.employee.set_manager', 'admin.department.move',
    ]));
    expect(refused.every((e) => e.error?.code)).toBe(true);
  });

  it('moves, re-manages and disables employees with before/after in the audit log', async () => {
    await admin.ok('admin.employee.move', { id: 'u_chen', department_id: 'dep_finance' });
    await admin.ok('admin.employee.set_manager', { id: 'u_chen', manager_id: 'u_zhang' });
    const line = await li.ok<{ reporting_line: { id: string }[] }>('employee.get', { id: 'u_chen' });
    expect(line.reporting_line.map((m) => m.id)).toEqual(['u_zhang', 'u_wang']);
    await admin.ok('admin.department.move', { id: 'dep_ops', parent_id: 'dep_finance' });
    await admin.ok('admin.employee.disable', { id: 'u_chen', reason: 'left the company' });
    expect((await audit('admin.employee.move', 'u_chen'))[0]).toMatchObject({ before: { department_id: 'dep_ops' }, after: { department_id: 'dep_finance' } });
    expect((await audit('admin.employee.set_manager', 'u_chen'))[0]).toMatchObject({ before: { manager_id: 'u_wang' }, after: { manager_id: 'u_zhang' } });
    expect((await audit('admin.department.move', 'dep_ops')).at(-1)).toMatchObject({ ok: true, before: { parent_id: 'dep_sales' }, after: { parent_id: 'dep_finance' } });
    expect((await audit('admin.employee.disable', 'u_chen'))[0]).toMatchObject({ before: { status: 'active' }, after: { status: 'disabled' } });
    const login = await fetch(`${stack.httpUrl}/api/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ employee_id: 'u_chen', password: 'chen-password-1' }),
    });
    expect(login.status).toBe(401);
    const again = await admin.request('admin.employee.disable', { id: 'u_chen' });
    expect(errorOf(again).code).toBe('E_CONFLICT');
  });

  it('creates an agent with a one-time API secret, joins its auto-join groups and publishes its capabilities', async () => {
    const res = await admin.ok<{ employee: { id: string; agent_profile?: Record<string, unknown> }; api_secret: string }>('admin.agent.create', {
      id: 'a_billing', name: 'Finance Assistant', department_id: 'dep_finance', manager_id: 'u_zhang',
      agent_profile: {
        model_type: 'rule-based', capabilities: ['invoice_status'], trigger_keywords: ['发票'],
        webhook_endpoint: 'http://127.0.0.1:9/agents/finance', response_timeout: 5000, auto_join_groups: ['g_sales'],
      },
    });
    expect(res.api_secret.length).toBeGreaterThanOrEqual(32);
    // The public profile never carries the webhook or the secret.
    expect(res.employee.agent_profile).not.toHaveProperty('webhook_endpoint');
    expect((await stack.m.Credential.findOne({ employee_id: 'a_billing' }).lean())?.api_secret).toBe(res.api_secret);
    expect((await stack.m.Group.findOne({ id: 'g_sales' }).lean())?.members).toContain('a_billing');
    const cap = await watcher.waitFor((r) => r.topic === 'mchat/agent/capability/invoice_status');
    expect(cap.json).toMatchObject({ skill: 'invoice_status', agents: [{ id: 'a_billing' }] });
    const notice = await watcher.waitFor((r) => r.topic === 'mchat/system/notify' && (r.json as { kind?: string }).kind === 'agent_joined');
    expect(notice.json).toMatchObject({ data: { id: 'a_billing', is_ai_agent: true } });
    expect(JSON.stringify(await audit('admin.agent.create', 'a_billing'))).not.toContain(res.api_secret);

    await admin.ok('admin.agent.update', { id: 'a_billing', agent_profile: { trigger_keywords: ['发票', 'invoice'] } });
    const updated = await stack.m.Employee.findOne({ id: 'a_billing' }).lean();
    // Only the given field changes: nothing else is reset to a default.
    expect(updated?.agent_profile).toMatchObject({
      trigger_keywords: ['发票', 'invoice'], webhook_endpoint: 'http://127.0.0.1:9/agents/finance',
      capabilities: [{ id: 'invoice_status', name: 'invoice_status' }], response_timeout: 5000, auto_join_groups: ['g_sales'],
    });
    expect((await audit('admin.agent.update', 'a_billing'))[0]).toMatchObject({ before: { trigger_keywords: ['发票'] }, after: { trigger_keywords: ['发票', 'invoice'] } });
  });

  it("accepts the design's agent document verbatim: capabilities by name become cards, listed and retained per skill", async () => {
    // As the design writes it: employee_id, is_ai_agent, capabilities by name, response_timeout in seconds.
    const document = JSON.parse(`{
      "employee_id": "a_expense",
      "name": "报销机器人",
      "is_ai_agent": true,
      "department_id": "dep_finance",
      "manager_id": "u_zhang",
      "skills_badge": ["报销"],
      "agent_profile": {
        "model_type": "gpt-4",
        "capabilities": ["订单查询", "报销审核"],
        "response_timeout": 15,
        "webhook_endpoint": "http://127.0.0.1:9/agents/expense",
        "auto_join_groups": ["g_finance"]
      }
    }`) as Record<string, unknown>;
    const res = await admin.ok<{ employee: { id: string; agent_profile: { capabilities: { id: string; name: string }[] } } }>('admin.agent.create', document);
    expect(res.employee.id).toBe('a_expense');
    const cards = res.employee.agent_profile.capabilities;
    expect(cards.map((c) => c.name)).toEqual(['订单查询', '报销审核']);
    const stored = await stack.m.Employee.findOne({ id: 'a_expense' }, { _id: 0 }).lean();
    expect(stored).toMatchObject({ is_ai_agent: true, department_id: 'dep_finance', manager_id: 'u_zhang', skills_badge: ['报销'] });
    expect(stored?.agent_profile?.response_timeout).toBe(15_000);
    expect((await stack.m.Group.findOne({ id: 'g_finance' }).lean())?.members).toContain('a_expense');

    const listed = await li.ok<{ capabilities: { skill: string; card: { name: string }; agents: { id: string }[] }[] }>('agent.capabilities', { skill: cards[1]!.id });
    expect(listed.capabilities).toEqual([expect.objectContaining({ skill: cards[1]!.id, card: expect.objectContaining({ name: '报销审核' }), agents: [expect.objectContaining({ id: 'a_expense' })] })]);
    const retained = await watcher.waitFor((r) => r.topic === `mchat/agent/capability/${cards[0]!.id}`);
    expect(retained.json).toMatchObject({ skill: cards[0]!.id, card: { name: '订单查询' }, agents: [{ id: 'a_expense' }] });

    // Disabled, it offers nothing: the skill's retained state keeps no agent and no card.
    await admin.ok('admin.employee.disable', { id: 'a_expense' });
    const gone = await watcher.waitFor((r) => r.topic === `mchat/agent/capability/${cards[1]!.id}` && (r.json as { agents: unknown[] }).agents.length === 0);
    expect(gone.json).not.toHaveProperty('card');
  });

  it('manages groups: create, add, remove, dissolve; members are told in their inbox', async () => {
    await admin.ok('admin.group.create', { id: 'g_ops', name: 'Ops room', owner_id: 'u_wang', members: ['u_zhang'] });
    await watcher.waitFor((r) => r.topic === 'mchat/inbox/u_zhang' && (r.json as { kind?: string }).kind === 'group_joined');
    await admin.ok('admin.group.add_members', { id: 'g_ops', members: ['u_li'] });
    const joined = await li.waitFor((r) => (r.json as { kind?: string }).kind === 'group_joined');
    expect(joined.json).toMatchObject({ data: { group_id: 'g_ops', conversation_id: 'g:g_ops' } });
    await admin.ok('admin.group.remove_members', { id: 'g_ops', members: ['u_li'] });
    await li.waitFor((r) => (r.json as { kind?: string }).kind === 'group_left');
    const sent = await li.request('msg.send', { to: { group: 'g_ops' }, client_msg_id: ulid(), body: { text: 'still here?' } });
    expect(errorOf(sent).code).toBe('E_FORBIDDEN');
    const emptied = await admin.request('admin.group.remove_members', { id: 'g_ops', members: ['u_wang', 'u_zhang'] });
    expect(errorOf(emptied).code).toBe('E_CONFLICT');
    await admin.ok('admin.group.dissolve', { id: 'g_ops' });
    expect((await stack.m.Group.findOne({ id: 'g_ops' }).lean())?.dissolved).toBe(true);
    for (const op of ['admin.group.create', 'admin.group.add_members', 'admin.group.remove_members', 'admin.group.dissolve']) {
      expect((await audit(op, 'g_ops')).some((e) => e.ok), op).toBe(true);
    }
  });

  it('imports an organisation: dry run first, refused files change nothing and are audited as refused', async () => {
    const file = JSON.stringify({
      departments: [{ id: 'dep_rd', name: 'R&D', parent_id: null }],
      employees: [{ id: 'u_sun', name: 'Sun Li', department_id: 'dep_rd', manager_id: 'u_wang' }],
    });
    const dry = await admin.ok<{ ok: boolean; imported: boolean; create: { employees: string[] } }>('admin.import', { format: 'json', data: file, dry_run: true });
    expect(dry).toMatchObject({ ok: true, imported: false, create: { employees: ['u_sun'] } });
    expect(await stack.m.Employee.exists({ id: 'u_sun' })).toBeNull();

    const bad = JSON.stringify({ employees: [{ id: 'u_moon', name: 'Moon', manager_id: 'u_nobody' }] });
    const refused = await admin.ok<{ ok: boolean; errors: { id?: string; field?: string }[] }>('admin.import', { format: 'json', data: bad, dry_run: false });
    expect(refused.ok).toBe(false);
    expect(refused.errors[0]).toMatchObject({ id: 'u_moon', field: 'manager_id' });
    expect(await stack.m.Employee.exists({ id: 'u_moon' })).toBeNull();

    const done = await admin.ok<{ imported: boolean; passwords: Record<string, string> }>('admin.import', { format: 'json', data: file, dry_run: false });
    expect(done.imported).toBe(true);
    expect(await stack.login('u_sun', done.passwords.u_sun)).toMatch(/\./);

    const entries = await audit('admin.import');
    expect(entries.map((e) => e.ok)).toEqual([true, false, true]);
    expect(entries[1]!.error).toMatchObject({ code: 'E_SCHEMA' });
    expect(JSON.stringify(entries)).not.toContain(done.passwords.u_sun);
  });

  it('lets employees edit their own card, and nothing an admin decides', async () => {
    const res = await li.ok<{ employee: { title: string } }>('profile.update', { title: 'Senior Account Manager', skills_badge: ['negotiation', 'crm'] });
    expect(res.employee.title).toBe('Senior Account Manager');
    const card = await watcher.waitFor((r) => r.topic === 'mchat/profile/u_li' && (r.json as { title?: string }).title === 'Senior Account Manager');
    expect(card.json).toMatchObject({ skills_badge: ['negotiation', 'crm'] });
    for (const forbidden of [{ role: 'admin' }, { department_id: 'dep_finance' }, { manager_id: null }, { status: 'active' }]) {
      expect(errorOf(await li.request('profile.update', forbidden)).code, JSON.stringify(forbidden)).toBe('E_SCHEMA');
    }
    expect(await stack.m.Employee.findOne({ id: 'u_li' }).lean()).toMatchObject({ role: 'member', department_id: 'dep_sales' });
  });

  it('queries and exports the audit log, which no op can edit', async () => {
    const page = await admin.ok<{ entries: AuditEntry[]; has_more: boolean }>('admin.audit.query', { actor: 'u_wang', limit: 3 });
    expect(page.entries).toHaveLength(3);
    expect(page.has_more).toBe(true);
    const next = await admin.ok<{ entries: AuditEntry[] }>('admin.audit.query', { actor: 'u_wang', limit: 3, before_id: page.entries.at(-1)!.audit_id });
    expect(next.entries[0]!.audit_id < page.entries.at(-1)!.audit_id).toBe(true);

    const token = await stack.login('u_wang');
    const res = await fetch(`${stack.httpUrl}/api/admin/audit/export?format=csv&op=admin.employee.create`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('audit_id,ts,actor,op,target,ok,error,before,after,via');
    expect(lines.slice(1).every((l) => l.includes('admin.employee.create'))).toBe(true);
    expect(lines.length).toBe(1 + (await stack.m.Audit.countDocuments({ op: 'admin.employee.create' })));

    for (const op of ['admin.audit.update', 'admin.audit.delete']) {
      expect(errorOf(await admin.request(op, { id: page.entries[0]!.audit_id })).code).toBe('E_NOT_FOUND');
    }
    const edit = await fetch(`${stack.httpUrl}/api/admin/audit.delete`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}',
    });
    expect(edit.status).toBe(404);
    // Reading the log is itself recorded.
    expect((await audit('admin.audit.query')).length).toBeGreaterThanOrEqual(2);
    expect((await audit('admin.audit.export'))[0]).toMatchObject({ via: 'http', after: { format: 'csv' } });
  });

  // Every answer TestClient gets is checked against its op's result schema (schemas/ops.ts,
  // admin.ts); these are the ops no other test asks.
  it('answers the directory ops and the audit export over MQTT, each as its result schema says', async () => {
    const found = await li.ok<{ employees: { id: string }[] }>('employee.search', { q: 'assist' });
    expect(found.employees.map((e) => e.id)).toEqual(expect.arrayContaining(['a_sales', 'a_billing']));
    const tree = await li.ok<{ departments: { id: string }[] }>('org.tree', {});
    expect(tree.departments.map((d) => d.id)).toContain('dep_sales');
    const skills = await li.ok<{ capabilities: { skill: string }[] }>('agent.capabilities', {});
    expect(skills.capabilities.length).toBeGreaterThan(0);
    const exported = await admin.ok<{ format: string; count: number }>('admin.audit.export', { format: 'ndjson', op: 'admin.employee.create' });
    expect(exported).toMatchObject({ format: 'ndjson', count: await stack.m.Audit.countDocuments({ op: 'admin.employee.create' }) });
    await admin.ok('admin.relay.list', {});
  });

  it('finds colleagues by any part of a Chinese name, by its pinyin or initials, and by Latin names as before', async () => {
    for (const [id, name] of [['u_zhangwei', '张伟'], ['u_zengming', '曾小明'], ['u_wanglei', '王磊']] as const) {
      await admin.ok('admin.employee.create', { id, name, department_id: 'dep_sales', password: 'long-enough-1' });
    }
    const ids = async (q: string, extra: Record<string, unknown> = {}) =>
      (await li.ok<{ employees: { id: string }[] }>('employee.search', { q, ...extra })).employees.map((e) => e.id);
    expect(await ids('伟')).toEqual(['u_zhangwei']);
    expect(await ids('zhangwei')).toEqual(['u_zhangwei']);
    expect(await ids('Zhang Wei')).toEqual(expect.arrayContaining(['u_zhangwei', 'u_zhang']));
    expect(await ids('zw')).toEqual(['u_zhangwei']);
    // 曾 as a surname is zeng, not ceng.
    expect(await ids('zengx')).toEqual(['u_zengming']);
    expect(await ids('xiaoming')).toEqual(['u_zengming']);
    expect(await ids('wang')).toEqual(expect.arrayContaining(['u_wang', 'u_wanglei']));
    expect(await ids('wanglei', { department: 'dep_finance' })).toEqual([]);
    expect(await ids('qqq')).toEqual([]);
  });

  it('announced everything as its topic carries it: events, notices and retained state (schemas/events.ts)', () => {
    expect(watcher.received.map((r) => r.topic)).toEqual(expect.arrayContaining(['mchat/org/tree', 'mchat/system/notify']));
    expect([admin, li, watcher].flatMap((c) => c.payloadProblems())).toEqual([]);
  });

  it('serves the same admin ops and directory over HTTP', async () => {
    const token = await stack.login('u_wang');
    const post = (path: string, body: unknown, t = token) => fetch(`${stack.httpUrl}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const created = await post('/api/admin/department.create', { id: 'dep_hr', name: 'People' });
    expect(created.status).toBe(200);
    expect((await audit('admin.department.create', 'dep_hr'))[0]).toMatchObject({ via: 'http', ok: true });
    const member = await post('/api/admin/department.create', { id: 'dep_x', name: 'X' }, await stack.login('u_li'));
    expect(member.status).toBe(403);
    const tree = await (await fetch(`${stack.httpUrl}/api/org/tree`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(JSON.stringify(tree)).toContain('dep_hr');
    const found = await (await fetch(`${stack.httpUrl}/api/employees?q=assist`, { headers: { authorization: `Bearer ${token}` } })).json() as { employees: { id: string }[] };
    expect(found.employees.map((e) => e.id)).toEqual(expect.arrayContaining(['a_sales', 'a_billing']));
  });
});

describe('production mode: agents need an HTTPS webhook that answers', () => {
  let stack: Stack;
  let admin: TestClient;
  const secret = (name: string) => `${name}-0123456789abcdef0123456789abcdef`;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        NODE_ENV: 'production',
        MCHAT_JWT_SECRET: secret('jwt'),
        MCHAT_SERVICE_SECRET: secret('service'),
        DEMO_AGENT_SECRET: secret('agent'),
      },
    });
    admin = await TestClient.connect(stack.mqttUrl, 'u_wang', await stack.login('u_wang'), 'admin');
  });
  afterAll(async () => {
    await admin?.close();
    await stack?.stop();
  });

  const agent = (id: string, webhook_endpoint: string) => ({
    id, name: id, department_id: 'dep_sales', manager_id: 'u_wang',
    agent_profile: { model_type: 'test', capabilities: [], trigger_keywords: [], webhook_endpoint, response_timeout: 5000, auto_join_groups: [] },
  });

  it('refuses a plain-HTTP webhook and one that does not answer, audits both, creates nothing', async () => {
    const plain = await admin.request('admin.agent.create', agent('a_plain', 'http://127.0.0.1:9/hook'));
    expect(errorOf(plain)).toMatchObject({ code: 'E_SCHEMA', field: 'payload.agent_profile.webhook_endpoint' });
    const silent = await admin.request('admin.agent.create', agent('a_silent', `https://127.0.0.1:${await freePort()}/hook`));
    expect(errorOf(silent)).toMatchObject({ code: 'E_UNAVAILABLE', field: 'payload.agent_profile.webhook_endpoint' });
    expect(await stack.m.Employee.countDocuments({ id: { $in: ['a_plain', 'a_silent'] } })).toBe(0);
    expect(await stack.m.Credential.countDocuments({ employee_id: { $in: ['a_plain', 'a_silent'] } })).toBe(0);
    expect(await stack.m.Audit.countDocuments({ op: 'admin.agent.create', ok: false })).toBe(2);
  });

  it('accepts an HTTPS webhook that answers', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const res = await admin.ok<{ api_secret: string }>('admin.agent.create', agent('a_tls', `https://127.0.0.1:${port}/hook`));
      expect(res.api_secret).toBeTruthy();
    } finally {
      server.close();
    }
  });
});
