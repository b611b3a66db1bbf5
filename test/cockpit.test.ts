import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { Cockpit, Event, Task, WorkflowRun } from '../schemas/index.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

const DAY_MS = 86_400_000;

/** The cockpit's figures against the real stack: counted by the op, checked against the stored documents. */
describe('admin.cockpit: the organisation’s figures', () => {
  let stack: Stack;
  let admin: TestClient;
  let li: TestClient;

  const send = (c: TestClient, to: Record<string, string>, text: string) => c.ok<{ msg_id: string; seq: number }>('msg.send', { to, client_msg_id: ulid(), body: { text } });
  const runDone = async (agent: string) => {
    for (let i = 0; i < 100; i++) {
      const runs = await stack.m.WorkflowRun.find({ 'hops.agent_id': agent }).lean<WorkflowRun[]>();
      if (runs.some((r) => r.hops.some((h) => h.agent_id === agent && h.status !== 'calling'))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no finished call of ${agent}`);
  };

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    admin = await TestClient.connect(stack.mqttUrl, 'u_wang', await stack.login('u_wang'), 'admin');
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    await send(li, { direct: 'u_zhang' }, 'numbers for the cockpit');
    const oops = await send(li, { direct: 'u_zhang' }, 'recalled, so not counted');
    await li.ok('msg.recall', { msg_id: oops.msg_id });
    await send(li, { direct: 'a_sales' }, '查订单 SO-1001');
    await runDone('a_sales');
    // Above the finance agent's limit: a task for the approver, left pending.
    await send(li, { direct: 'a_finance' }, '退款 SO-1002');
    await li.waitFor((r) => (r.json as Event).type === 'task', 20_000).catch(() => undefined);
    for (let i = 0; i < 100 && !(await stack.m.Task.exists({ state: 'pending' })); i++) await new Promise((r) => setTimeout(r, 200));
  });
  afterAll(async () => {
    await Promise.all([admin?.close(), li?.close()]);
    await stack?.stop();
  });

  it('counts today’s messages, who wrote them, the agents’ calls and the approvals waiting, as the stored documents say', async () => {
    const figures = await admin.ok<Cockpit>('admin.cockpit', { days: 7 });
    expect(figures.days).toHaveLength(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(figures.days.at(-1)!.day).toBe(today);
    expect(figures.since).toBe(Math.floor(Date.now() / DAY_MS) * DAY_MS - 6 * DAY_MS);

    const stored = await stack.m.Message.find({ ts: { $gte: figures.since } }, { _id: 0, from: 1, recalled: 1 }).lean<{ from: string; recalled?: boolean }[]>();
    const agents = new Set((await stack.m.Employee.find({ is_ai_agent: true }, { id: 1 }).lean()).map((e) => e.id));
    const kept = stored.filter((x) => !x.recalled);
    expect(figures.days.reduce((n, d) => n + d.messages, 0)).toBe(kept.length);
    expect(figures.days.at(-1)!.from_agents).toBe(kept.filter((x) => agents.has(x.from)).length);
    expect(figures.days.at(-1)!.from_agents).toBeGreaterThan(0);
    const writers = new Set(stored.map((x) => x.from));
    expect(figures.active).toEqual({ people: [...writers].filter((id) => !agents.has(id)).length, agents: [...writers].filter((id) => agents.has(id)).length });
    expect(figures.active.people).toBeGreaterThanOrEqual(1);

    const sales = figures.agents.find((a) => a.agent_id === 'a_sales');
    expect(sales).toMatchObject({ name: 'Sales Assistant', calls: 1, answered: 1, failed: 0 });
    expect(sales!.p95_ms).toBeGreaterThan(0);

    const pending = await stack.m.Task.find({ state: 'pending' }).lean<Task[]>();
    expect(pending.length).toBeGreaterThan(0);
    expect(figures.approvals.pending).toBe(pending.length);
    expect(figures.approvals.by_age[0]).toEqual({ within_ms: 3_600_000, count: pending.length });
    expect(figures.approvals.oldest_ms).toBeGreaterThanOrEqual(0);
    expect(figures.handoffs).toEqual({ opened: 0, active: 0, picked_up: 0, pickup_p50_ms: null, pickup_p95_ms: null });
  });

  it('refuses a member and a period it does not keep', async () => {
    expect(errorOf(await li.request('admin.cockpit', {})).code).toBe('E_FORBIDDEN');
    expect(errorOf(await admin.request('admin.cockpit', { days: 365 }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.days' });
  });
});
