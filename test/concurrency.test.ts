import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ulid } from 'ulid';
import type { Employee, Event, Group, Handoff } from '../schemas/index.js';
import { MessageStore } from '../store/messages.js';
import { createLogger } from '../lib/logger.js';
import { interactionWorkflowId } from '../gateway/agents/routing.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

/**
 * Changes of one document from many requests at once, through the real ops and the run's local
 * database (FerretDB on PostgreSQL, which applies updates as read-then-write): every change that
 * was acknowledged is there afterwards.
 */
describe('concurrent changes of one document', () => {
  let stack: Stack;
  let wang: TestClient;
  let li: TestClient;
  let zhang: TestClient;
  const people = Array.from({ length: 20 }, (_, i) => `u_crowd${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_RATE_LIMIT_PER_SECOND: '1000' } });
    const connect = async (id: string, device?: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id), device);
    [wang, li, zhang] = await Promise.all([connect('u_wang'), connect('u_li'), connect('u_zhang')]);
    const file = JSON.stringify({ employees: people.map((id) => ({ id, name: `Crowd ${id}`, department_id: 'dep_sales', manager_id: 'u_wang' })) });
    await wang.ok('admin.import', { format: 'json', data: file, dry_run: false });
  });
  afterAll(async () => {
    await Promise.all([wang?.close(), li?.close(), zhang?.close()]);
    await stack?.stop();
  });

  const members = async (id: string) => (await stack.m.Group.findOne({ id }, { _id: 0 }).lean<Group>())!.members;

  it('keeps every one of 20 members added to one group at once, by admins and by members', async () => {
    const { group } = await li.ok<{ group: Group }>('group.create', { name: 'Crowd', members: ['u_zhang'] });
    const results = await Promise.all(people.map((id, i) =>
      (i % 2 ? wang.request('admin.group.add_members', { id: group.id, members: [id] }) : zhang.request('group.add_members', { id: group.id, members: [id] }))));
    expect(results.filter((r) => r.ok)).toHaveLength(people.length);
    expect((await members(group.id)).sort()).toEqual(['u_li', 'u_zhang', ...people].sort());
  });

  it('keeps every removal and every addition when they cross on one group', async () => {
    const { group } = await wang.ok<{ group: Group }>('admin.group.create', { id: `g_mix_${ulid().toLowerCase()}`, name: 'Mix', owner_id: 'u_wang', members: people.slice(0, 10) });
    const [out, kept] = [people.slice(0, 5), people.slice(5, 10)];
    const comers = people.slice(10);
    const results = await Promise.all([
      ...out.map((id) => wang.request('admin.group.remove_members', { id: group.id, members: [id] })),
      ...comers.map((id) => wang.request('admin.group.add_members', { id: group.id, members: [id] })),
      li.request('admin.group.add_members', { id: group.id, members: ['u_li'] }),
    ]);
    // Li is no admin: refused, and nothing else is disturbed.
    expect(results.filter((r) => r.ok)).toHaveLength(out.length + comers.length);
    expect((await members(group.id)).sort()).toEqual(['u_wang', ...kept, ...comers].sort());
  });

  it('moves a read cursor to the highest of many reads at once, from two devices', async () => {
    const direct = 'd:u_li:u_zhang';
    for (let i = 0; i < 12; i++) await li.ok('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: `read me ${i}` } });
    const newest = (await stack.m.Message.findOne({ conversation_id: direct }).sort({ seq: -1 }).lean())!.seq;
    const phone = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'), 'phone');
    const seqs = Array.from({ length: newest }, (_, i) => i + 1).reverse();
    const results = await Promise.all(seqs.map((seq, i) => (i % 2 ? phone : zhang).request('msg.read', { conversation_id: direct, seq })));
    await phone.close();
    expect(results.every((r) => r.ok)).toBe(true);
    const cursors = await stack.m.ReadCursor.find({ conversation_id: direct, employee_id: 'u_zhang' }).lean();
    expect(cursors.map((c) => c.seq)).toEqual([newest]);
  });

  it('keeps an employee’s own profile change and the admin’s changes made at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      const title = `Title ${round}`;
      const [department, manager] = round % 2 ? ['dep_sales', 'u_wang'] : ['dep_finance', 'u_zhang'];
      const results = await Promise.all([
        li.request('profile.update', { title }),
        wang.request('admin.employee.move', { id: 'u_li', department_id: department }),
        wang.request('admin.employee.set_manager', { id: 'u_li', manager_id: manager }),
        li.request('profile.update', { skills_badge: [`badge-${round}`] }),
      ]);
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
      expect(await stack.m.Employee.findOne({ id: 'u_li' }, { _id: 0 }).lean<Employee>()).toMatchObject({
        title, department_id: department, manager_id: manager, skills_badge: [`badge-${round}`],
      });
    }
  });

  it('releases a hand-off once when its human and its asker release it, many times over, at the same moment', async () => {
    const conversation = 'd:a_sales:u_zhang';
    const workflowId = `handoff:${conversation}:${ulid()}`;
    await stack.m.Handoff.create({
      conversation_id: conversation, human_id: 'u_li', agent_id: 'a_sales', requested_by: 'u_zhang', asker_id: 'u_zhang',
      reason: 'test', workflow_id: workflowId, state: 'active', since: Date.now(),
    } satisfies Handoff);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? li : zhang).request('handoff.release', { conversation_id: conversation })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((r) => !r.ok)) expect(['E_NOT_FOUND', 'E_CONFLICT']).toContain(errorOf(r).code);
    // One hand-back notice in the chat, not two.
    const notices = await stack.m.Message.find({ conversation_id: conversation, workflow_id: workflowId, kind: 'system' }).lean();
    expect(notices).toHaveLength(1);
  });

  it('delivers and dispatches a retried message whose first attempt was stored and then died', async () => {
    // The first attempt: stored by a gateway that went down before delivering it.
    const redis = new Redis(inject('services').redisUrl);
    const store = new MessageStore({ m: stack.m, redis, prefix: stack.env.REDIS_PREFIX!, log: createLogger('test', 'silent') });
    const clientMsgId = ulid();
    const text = `@a_sales what is our refund policy? ${clientMsgId}`;
    const { message } = await store.store({
      conversation_id: 'g:g_sales', members: [], from: 'u_li', kind: 'text',
      body: { text, mentions: ['a_sales'], attachments: [] }, client_msg_id: clientMsgId,
    });
    store.close();
    await redis.quit();
    await wang.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 });

    const retry = await li.ok<{ msg_id: string; seq: number }>('msg.send', { to: { group: 'g_sales' }, client_msg_id: clientMsgId, body: { text, mentions: ['a_sales'] } });
    expect(retry).toMatchObject({ msg_id: message.msg_id, seq: message.seq });
    const seen = await wang.waitFor((r) => (r.json as Event).type === 'message' && (r.json as { msg: { msg_id: string } }).msg.msg_id === message.msg_id);
    expect(seen.topic).toBe('mchat/group/g_sales');
    expect(await stack.m.Message.countDocuments({ from: 'u_li', client_msg_id: clientMsgId })).toBe(1);

    const temporal = new Client({ connection: await Connection.connect({ address: inject('services').temporalAddress }) });
    try {
      const handle = temporal.workflow.getHandle(interactionWorkflowId(message.msg_id, 'a_sales'));
      await expect.poll(() => handle.describe().then((d) => d.type, () => undefined), { timeout: 15_000 }).toBe('agentInteraction');
    } finally {
      await temporal.connection.close();
    }
  });
});
