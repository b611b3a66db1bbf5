import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminEmployee, AuditEntry } from '../schemas/index.js';
import { verifyPassword } from '../lib/auth.js';
import { signBody } from '../lib/signing.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

/**
 * The admin ops the directory screen runs on: the list (disabled accounts and whole agent profiles
 * included), re-enabling, editing a card, a new password, a new API secret; each audited, each
 * refusing a member, an unknown id and a bad payload.
 */
describe('admin directory ops', () => {
  let stack: Stack;
  let admin: TestClient;
  let li: TestClient;
  let watcher: TestClient;

  const audit = (op: string, target?: string) =>
    stack.m.Audit.find(target ? { op, target } : { op }, { _id: 0 }).sort({ audit_id: 1 }).lean<AuditEntry[]>();
  const list = (payload: Record<string, unknown>) => admin.ok<{ employees: AdminEmployee[]; next: string | null }>('admin.employee.list', payload);
  const ids = (page: { employees: AdminEmployee[] }) => page.employees.map((e) => e.id);

  beforeAll(async () => {
    stack = await startStack();
    admin = await TestClient.connect(stack.mqttUrl, 'u_wang', await stack.login('u_wang'), 'admin');
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    watcher = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'), 'watcher');
    await watcher.mqtt.subscribeAsync(['mchat/org/tree', 'mchat/profile/+', 'mchat/agent/capability/+', 'mchat/inbox/u_zhang'], { qos: 1 });
    await admin.ok('admin.employee.create', { id: 'u_chen', name: '陈静', title: 'Ops lead', department_id: 'dep_finance', password: 'chen-password-1' });
    await admin.ok('admin.employee.create', { id: 'u_gone', name: 'Gone Person', password: 'gone-password-1' });
    await admin.ok('admin.employee.disable', { id: 'u_gone', reason: 'left the company' });
  });
  afterAll(async () => {
    await Promise.all([admin?.close(), li?.close(), watcher?.close()]);
    await stack?.stop();
  });

  describe('admin.employee.list', () => {
    it('lists everyone by name, disabled accounts with who disabled them and why, agents with their whole profile', async () => {
      const page = await list({});
      expect(ids(page)).toEqual(['a_finance', 'u_gone', 'u_li', 'a_research', 'a_sales', 'u_wang', 'u_zhang', 'u_chen']);
      expect(page.next).toBeNull();
      const gone = page.employees.find((e) => e.id === 'u_gone')!;
      expect(gone).toMatchObject({ status: 'disabled', disabled: { by: 'u_wang', reason: 'left the company' } });
      expect(gone.disabled!.at).toBeGreaterThan(Date.now() - 60_000);
      expect(page.employees.find((e) => e.id === 'u_li')?.disabled).toBeUndefined();
      const sales = page.employees.find((e) => e.id === 'a_sales')!;
      // What members never see: the webhook, the timeout, the groups it joins.
      expect(sales.agent_profile).toMatchObject({ webhook_endpoint: expect.stringMatching(/^http/), response_timeout: expect.any(Number), auto_join_groups: expect.any(Array) });
      expect(sales.agent_profile!.capabilities[0]).toMatchObject({ id: 'order_lookup', name: '订单查询' });
      expect(JSON.stringify(page)).not.toMatch(/password|api_secret/);
    });

    it('filters by kind, status and department, and finds by text and by pinyin', async () => {
      expect(ids(await list({ kind: 'agent' }))).toEqual(['a_finance', 'a_research', 'a_sales']);
      expect(ids(await list({ kind: 'person', status: 'active' }))).toEqual(['u_li', 'u_wang', 'u_zhang', 'u_chen']);
      expect(ids(await list({ status: 'disabled' }))).toEqual(['u_gone']);
      expect(ids(await list({ department_id: 'dep_finance' }))).toEqual(['a_finance', 'u_zhang', 'u_chen']);
      expect(ids(await list({ q: 'assistant', kind: 'agent' }))).toEqual(['a_finance', 'a_research', 'a_sales']);
      expect(ids(await list({ q: 'chenj' }))).toEqual(['u_chen']);
      expect(ids(await list({ q: 'Ops' }))).toEqual(['u_chen']);
      expect(ids(await list({ q: 'nobody-has-this' }))).toEqual([]);
    });

    it('pages by name: every employee once, in order, whatever the page size', async () => {
      const all = ids(await list({}));
      for (const limit of [1, 3]) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let i = 0; i < 20; i++) {
          const page = await list({ limit, ...(after ? { after } : {}) });
          seen.push(...ids(page));
          if (!page.next) break;
          after = page.next;
        }
        expect(seen).toEqual(all);
      }
      // Pages of a search follow the same order.
      const first = await list({ q: 'a', kind: 'agent', limit: 2 });
      expect(ids(first)).toEqual(['a_finance', 'a_research']);
      expect(ids(await list({ q: 'a', kind: 'agent', limit: 2, after: first.next }))).toEqual(['a_sales']);
    });

    it('refuses a cursor it did not give, a bad filter and a member', async () => {
      expect(errorOf(await admin.request('admin.employee.list', { after: 'not-a-cursor' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.after' });
      expect(errorOf(await admin.request('admin.employee.list', { kind: 'robot' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.kind' });
      expect(errorOf(await admin.request('admin.employee.list', { limit: 0 }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.limit' });
      expect(errorOf(await li.request('admin.employee.list', {})).code).toBe('E_FORBIDDEN');
      expect((await audit('admin.employee.list')).some((e) => e.actor === 'u_li' && !e.ok)).toBe(true);
      expect((await audit('admin.employee.list')).filter((e) => e.actor === 'u_wang' && e.ok).length).toBeGreaterThan(5);
    });
  });

  describe('admin.employee.enable', () => {
    it('lets a disabled person sign in again with their password, announces it and audits before and after', async () => {
      await expect(stack.login('u_gone', 'gone-password-1')).rejects.toThrow(/401/);
      const { employee } = await admin.ok<{ employee: { status: string } }>('admin.employee.enable', { id: 'u_gone' });
      expect(employee.status).toBe('active');
      expect(await stack.login('u_gone', 'gone-password-1')).toMatch(/\./);
      await watcher.waitFor((r) => r.topic === 'mchat/profile/u_gone' && (r.json as { status?: string }).status === 'active');
      expect((await audit('admin.employee.enable', 'u_gone'))[0]).toMatchObject({ actor: 'u_wang', ok: true, before: { status: 'disabled' }, after: { status: 'active' } });
      expect((await list({ q: 'Gone' })).employees[0]?.disabled).toBeUndefined();
    });

    it('brings a disabled agent back to its capabilities', async () => {
      const offering = (count: number, since: number) => watcher.waitFor((r) =>
        r.topic === 'mchat/agent/capability/market_research' && (r.json as { agents: unknown[] }).agents.length === count && watcher.received.indexOf(r) >= since);
      await admin.ok('admin.employee.disable', { id: 'a_research', reason: 'maintenance' });
      await offering(0, 0);
      const mark = watcher.received.length;
      await admin.ok('admin.employee.enable', { id: 'a_research' });
      const back = await offering(1, mark);
      expect(back.json).toMatchObject({ agents: [{ id: 'a_research', status: 'active' }] });
    });

    it('refuses one who is not disabled, an unknown id, a bad id and a member; each refusal is audited', async () => {
      expect(errorOf(await admin.request('admin.employee.enable', { id: 'u_li' }))).toMatchObject({ code: 'E_CONFLICT', field: 'payload.id' });
      expect(errorOf(await admin.request('admin.employee.enable', { id: 'u_nobody' }))).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.id' });
      expect(errorOf(await admin.request('admin.employee.enable', { id: 'u#li' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.id' });
      expect(errorOf(await li.request('admin.employee.enable', { id: 'u_gone' })).code).toBe('E_FORBIDDEN');
      const refused = (await audit('admin.employee.enable')).filter((e) => !e.ok).map((e) => e.error?.code);
      expect(refused).toEqual(['E_CONFLICT', 'E_NOT_FOUND', 'E_SCHEMA', 'E_FORBIDDEN']);
    });
  });

  it('an admin cannot disable their own account (nobody might be left to enable it)', async () => {
    expect(errorOf(await admin.request('admin.employee.disable', { id: 'u_wang' }))).toMatchObject({ code: 'E_CONFLICT', field: 'payload.id' });
    expect((await stack.m.Employee.findOne({ id: 'u_wang' }).lean())?.status).toBe('active');
    expect((await audit('admin.employee.disable', 'u_wang'))[0]).toMatchObject({ ok: false, error: { code: 'E_CONFLICT' } });
  });

  describe('admin.employee.update', () => {
    it("changes only the fields given, announces the card and the tree, and audits what they were", async () => {
      const { employee } = await admin.ok<{ employee: Record<string, unknown> }>('admin.employee.update', {
        id: 'u_chen', title: 'Head of Operations', skills_badge: ['logistics', 'planning'],
      });
      expect(employee).toMatchObject({ id: 'u_chen', name: '陈静', title: 'Head of Operations', skills_badge: ['logistics', 'planning'], department_id: 'dep_finance' });
      await watcher.waitFor((r) => r.topic === 'mchat/profile/u_chen' && (r.json as { title?: string }).title === 'Head of Operations');
      await watcher.waitFor((r) => r.topic === 'mchat/org/tree' && JSON.stringify(r.json).includes('Head of Operations'));
      expect((await audit('admin.employee.update', 'u_chen'))[0]).toMatchObject({
        ok: true, before: { title: 'Ops lead', skills_badge: [] }, after: { title: 'Head of Operations', skills_badge: ['logistics', 'planning'] },
      });
      // An agent's card too: its name is how it is addressed.
      await admin.ok('admin.employee.update', { id: 'a_research', name: 'Market Researcher' });
      expect((await admin.ok<{ employee: { name: string } }>('employee.get', { id: 'a_research' })).employee.name).toBe('Market Researcher');
    });

    it('refuses nothing to change, a bad field, an unknown id and a member', async () => {
      expect(errorOf(await admin.request('admin.employee.update', { id: 'u_chen' })).code).toBe('E_SCHEMA');
      expect(errorOf(await admin.request('admin.employee.update', { id: 'u_chen', name: '' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.name' });
      expect(errorOf(await admin.request('admin.employee.update', { id: 'u_nobody', title: 'x' }))).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.id' });
      expect(errorOf(await li.request('admin.employee.update', { id: 'u_li', title: 'CEO' })).code).toBe('E_FORBIDDEN');
      expect((await stack.m.Employee.findOne({ id: 'u_li' }).lean())?.title).toBe('Account Manager');
    });
  });

  describe('admin.employee.reset_password', () => {
    it('sets a new password: the old one stops working, the new one signs in; neither is in the log', async () => {
      await admin.ok('admin.employee.reset_password', { id: 'u_chen', password: 'brand-new-pass-2' });
      await expect(stack.login('u_chen', 'chen-password-1')).rejects.toThrow(/401/);
      expect(await stack.login('u_chen', 'brand-new-pass-2')).toMatch(/\./);
      const credential = await stack.m.Credential.findOne({ employee_id: 'u_chen' }).lean();
      expect(await verifyPassword('brand-new-pass-2', credential!.password_hash!)).toBe(true);
      const [entry] = await audit('admin.employee.reset_password', 'u_chen');
      expect(entry).toMatchObject({ actor: 'u_wang', ok: true });
      expect(JSON.stringify(await stack.m.Audit.find({}).lean())).not.toContain('brand-new-pass-2');
    });

    it('refuses a short password, an agent, an unknown id and a member', async () => {
      expect(errorOf(await admin.request('admin.employee.reset_password', { id: 'u_chen', password: 'short' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.password' });
      expect(errorOf(await admin.request('admin.employee.reset_password', { id: 'a_sales', password: 'long-enough-1' }))).toMatchObject({ code: 'E_CONFLICT' });
      expect(errorOf(await admin.request('admin.employee.reset_password', { id: 'u_nobody', password: 'long-enough-1' })).code).toBe('E_NOT_FOUND');
      expect(errorOf(await li.request('admin.employee.reset_password', { id: 'u_wang', password: 'take-over-123' })).code).toBe('E_FORBIDDEN');
      expect(await stack.login('u_wang')).toMatch(/\./);
    });
  });

  describe('admin.agent.rotate_secret', () => {
    /** A callback to the gateway signed with `secret`: only the agent's current secret gets past the signature check. */
    async function callback(secret: string): Promise<number> {
      const body = JSON.stringify({ interaction_id: 'interaction:none:a_finance#0', agent_id: 'a_finance', reply: { text: 'hi' } });
      const ts = String(Date.now());
      const res = await fetch(`${stack.httpUrl}/api/agents/callback`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-mchat-timestamp': ts, 'x-mchat-signature': signBody(secret, ts, body) }, body,
      });
      return res.status;
    }

    it('answers a new secret once; the old one stops working; the log says it was rotated, never what it is', async () => {
      const old = (await stack.m.Credential.findOne({ employee_id: 'a_finance' }).lean())!.api_secret!;
      expect(await callback(old)).not.toBe(401);
      const res = await admin.ok<{ employee: { id: string }; api_secret: string }>('admin.agent.rotate_secret', { id: 'a_finance' });
      expect(res.employee.id).toBe('a_finance');
      expect(res.api_secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(res.api_secret).not.toBe(old);
      expect((await stack.m.Credential.findOne({ employee_id: 'a_finance' }).lean())?.api_secret).toBe(res.api_secret);
      expect(await callback(old)).toBe(401);
      expect(await callback(res.api_secret)).not.toBe(401);
      const [entry] = await audit('admin.agent.rotate_secret', 'a_finance');
      expect(entry).toMatchObject({ actor: 'u_wang', ok: true, after: { api_secret: 'rotated' } });
      expect(JSON.stringify(await stack.m.Audit.find({}).lean())).not.toContain(res.api_secret);
      // Nowhere else either: not in the directory.
      expect(JSON.stringify(await list({ kind: 'agent' }))).not.toContain(res.api_secret);
    });

    it('refuses a person, an unknown id, a bad payload and a member', async () => {
      expect(errorOf(await admin.request('admin.agent.rotate_secret', { id: 'u_li' }))).toMatchObject({ code: 'E_CONFLICT', field: 'payload.id' });
      expect(errorOf(await admin.request('admin.agent.rotate_secret', { id: 'a_nobody' }))).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.id' });
      expect(errorOf(await admin.request('admin.agent.rotate_secret', {})).code).toBe('E_SCHEMA');
      expect(errorOf(await li.request('admin.agent.rotate_secret', { id: 'a_sales' })).code).toBe('E_FORBIDDEN');
    });
  });

  describe('admin.agent.update: auto-join groups', () => {
    it('joins a group newly listed, tells its members, and refuses an unknown one', async () => {
      const before = await stack.m.Group.findOne({ id: 'g_finance' }).lean();
      expect(before?.members).not.toContain('a_sales');
      await admin.ok('admin.agent.update', { id: 'a_sales', agent_profile: { auto_join_groups: ['g_sales', 'g_finance'] } });
      expect((await stack.m.Group.findOne({ id: 'g_finance' }).lean())?.members).toContain('a_sales');
      const missing = await admin.request('admin.agent.update', { id: 'a_sales', agent_profile: { auto_join_groups: ['g_finance', 'g_nowhere'] } });
      expect(errorOf(missing)).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.agent_profile.auto_join_groups' });
      const stored = (await stack.m.Employee.findOne({ id: 'a_sales' }).lean())?.agent_profile?.auto_join_groups;
      expect(stored).toEqual(['g_sales', 'g_finance']);
    });
  });

  describe('the audit log without the reads', () => {
    it('leaves out (or shows only) the ops that change nothing', async () => {
      const changes = await admin.ok<{ entries: AuditEntry[] }>('admin.audit.query', { kind: 'changes', limit: 1000 });
      expect(changes.entries.length).toBeGreaterThan(0);
      expect(changes.entries.some((e) => e.op === 'admin.employee.list' || e.op.startsWith('admin.audit.'))).toBe(false);
      expect(changes.entries.some((e) => e.op === 'admin.employee.enable')).toBe(true);
      const reads = await admin.ok<{ entries: AuditEntry[] }>('admin.audit.query', { kind: 'reads', limit: 1000 });
      expect(reads.entries.length).toBeGreaterThan(0);
      expect(reads.entries.every((e) => e.op === 'admin.employee.list' || e.op.startsWith('admin.audit.'))).toBe(true);
      const both = await admin.ok<{ entries: AuditEntry[] }>('admin.audit.query', { kind: 'changes', op: 'admin.employee.list' });
      expect(both.entries).toEqual([]);
      expect(errorOf(await admin.request('admin.audit.query', { kind: 'some' }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.kind' });
    });
  });

  it('announced everything as its topic carries it', () => {
    expect(watcher.payloadProblems()).toEqual([]);
  });
});
