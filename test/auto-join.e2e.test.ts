import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { AuditEntry, Event, Group, Message } from '../schemas/index.js';
import { interactionWorkflowId } from '../gateway/agents/routing.js';
import { errorOf, TestClient } from './client.js';
import { startStack, type Stack } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `admin.agent.update` with a new `auto_join_groups`: the agent joins the groups listed and leaves
 * those dropped, as creation joins them, audited; and it then answers where it now is, and only
 * there. The real stack, with the demo agents.
 */
describe('admin.agent.update applies auto_join_groups', () => {
  let stack: Stack;
  let wang: TestClient;
  let li: TestClient;

  const groupOf = (id: string) => stack.m.Group.findOne({ id }, { _id: 0 }).lean<Group>();
  const audits = (target: string) => stack.m.Audit.find({ op: 'admin.agent.update', target }, { _id: 0 }).sort({ audit_id: 1 }).lean<AuditEntry[]>();
  const autoJoin = async (id: string) => (await stack.m.Employee.findOne({ id }).lean())?.agent_profile?.auto_join_groups;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    const connect = async (id: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id));
    [wang, li] = await Promise.all([connect('u_wang'), connect('u_li')]);
  });

  afterAll(async () => {
    await Promise.all([wang?.close(), li?.close()]);
    await stack?.stop();
  });

  it('joins the groups added, leaves the ones dropped, and answers in the new group only', async () => {
    await wang.ok('admin.group.create', { id: 'g_ops', name: 'Operations', owner_id: 'u_wang', members: ['u_li'] });
    expect((await groupOf('g_finance'))?.members).toContain('a_finance');
    const { employee } = await wang.ok<{ employee: { agent_profile: { capabilities: unknown[] } } }>('admin.agent.update', {
      id: 'a_finance', agent_profile: { auto_join_groups: ['g_ops'] },
    });
    expect(employee.agent_profile.capabilities).toHaveLength(2);
    expect((await groupOf('g_ops'))?.members).toEqual(['u_wang', 'u_li', 'a_finance']);
    expect((await groupOf('g_finance'))?.members).toEqual(['u_wang', 'u_zhang']);
    expect(await autoJoin('a_finance')).toEqual(['g_ops']);
    // A member sees it in the group at once.
    const { group } = await li.ok<{ group: Group }>('group.get', { id: 'g_ops' });
    expect(group.members).toContain('a_finance');
    const [entry] = await audits('a_finance');
    expect(entry).toMatchObject({
      actor: 'u_wang', ok: true, before: { auto_join_groups: ['g_finance'] },
      after: { auto_join_groups: ['g_ops'], joined_groups: ['g_ops'], left_groups: ['g_finance'] },
    });

    // Where it left, a question for it goes unanswered; where it joined, it answers.
    await Promise.all([wang.mqtt.subscribeAsync('mchat/group/g_finance', { qos: 1 }), li.mqtt.subscribeAsync('mchat/group/g_ops', { qos: 1 })]);
    const old = await wang.ok<{ msg_id: string }>('msg.send', { to: { group: 'g_finance' }, client_msg_id: ulid(), body: { text: '发票 SO-1001' } });
    await li.ok('msg.send', { to: { group: 'g_ops' }, client_msg_id: ulid(), body: { text: '发票 SO-1001' } });
    const answer = await li.waitFor((r) => {
      const e = r.json as Event;
      return e.type === 'message' && e.msg.from === 'a_finance' && e.msg.conversation_id === 'g:g_ops';
    }, 20_000);
    expect((answer.json as { msg: Message }).msg.body.text).toContain('FP-20250001');
    await sleep(1_000);
    expect(await stack.m.WorkflowRun.exists({ workflow_id: interactionWorkflowId(old.msg_id, 'a_finance') })).toBeNull();
    expect(await stack.m.Message.countDocuments({ conversation_id: 'g:g_finance', from: 'a_finance' })).toBe(0);
  });

  it('the list is applied whole: a group listed again is rejoined, and a change of other fields leaves memberships alone', async () => {
    // Taken out by hand; listing the group again brings the agent back.
    await wang.ok('admin.group.remove_members', { id: 'g_ops', members: ['a_finance'] });
    await wang.ok('admin.agent.update', { id: 'a_finance', agent_profile: { trigger_keywords: ['报销'] } });
    expect((await groupOf('g_ops'))?.members).not.toContain('a_finance');
    await wang.ok('admin.agent.update', { id: 'a_finance', agent_profile: { auto_join_groups: ['g_ops', 'g_finance'] } });
    expect((await groupOf('g_ops'))?.members).toContain('a_finance');
    expect((await groupOf('g_finance'))?.members).toContain('a_finance');
    expect((await audits('a_finance')).at(-1)).toMatchObject({ after: { joined_groups: ['g_ops', 'g_finance'], left_groups: [] } });
    // Nothing to change: no membership moves are recorded.
    await wang.ok('admin.agent.update', { id: 'a_finance', agent_profile: { auto_join_groups: ['g_finance', 'g_ops'] } });
    expect((await audits('a_finance')).at(-1)?.after).not.toHaveProperty('joined_groups');
  });

  it('a group it owns passes to another member; bad lists change nothing', async () => {
    await wang.ok('admin.group.create', { id: 'g_lab', name: 'Research lab', owner_id: 'a_research', members: ['u_li'] });
    await wang.ok('admin.agent.update', { id: 'a_research', agent_profile: { auto_join_groups: ['g_lab'] } });
    await wang.ok('admin.agent.update', { id: 'a_research', agent_profile: { auto_join_groups: [] } });
    expect(await groupOf('g_lab')).toMatchObject({ owner_id: 'u_li', members: ['u_li'] });

    // The last member does not leave by a profile change: that would end the group.
    await wang.ok('admin.group.create', { id: 'g_solo', name: 'Notes', owner_id: 'a_research', members: ['a_research'] });
    await wang.ok('admin.agent.update', { id: 'a_research', agent_profile: { auto_join_groups: ['g_solo'] } });
    const solo = errorOf(await wang.request('admin.agent.update', { id: 'a_research', agent_profile: { auto_join_groups: [] } }));
    expect(solo).toMatchObject({ code: 'E_CONFLICT', field: 'payload.agent_profile.auto_join_groups' });
    expect(await autoJoin('a_research')).toEqual(['g_solo']);

    const before = await stack.m.Group.find({}, { _id: 0, id: 1, members: 1 }).sort({ id: 1 }).lean();
    const unknown = errorOf(await wang.request('admin.agent.update', { id: 'a_finance', agent_profile: { auto_join_groups: ['g_ops', 'g_nowhere'] } }));
    expect(unknown).toMatchObject({ code: 'E_NOT_FOUND', field: 'payload.agent_profile.auto_join_groups' });
    expect(unknown.message).toContain('g_nowhere');
    expect(errorOf(await wang.request('admin.agent.update', { id: 'a_finance', agent_profile: { auto_join_groups: ['not a group id!'] } })).code).toBe('E_SCHEMA');
    expect(errorOf(await wang.request('admin.agent.update', { id: 'u_li', agent_profile: { auto_join_groups: ['g_ops'] } })).code).toBe('E_CONFLICT');
    expect(await stack.m.Group.find({}, { _id: 0, id: 1, members: 1 }).sort({ id: 1 }).lean()).toEqual(before);
    expect(await autoJoin('a_finance')).toEqual(['g_finance', 'g_ops']);
    expect(await stack.m.Audit.countDocuments({ op: 'admin.agent.update', ok: false })).toBe(4);
  });
});
