import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  CapabilityState, Event, MessageEvent, NotifyEvent, OrgTreeState, Presence, PresenceState, ProfileState, RecallEvent, ReceiptEvent, StatusUpdate,
  topicPayloads, WorkflowEvent, type PublishedTopic, type TopicPayload,
} from './events.js';
import { WorkflowStatus } from './agents.js';
import { topics, type ReqTopic } from './topics.js';

const paths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

const msg = {
  msg_id: 'm1', conversation_id: 'g:g1', seq: 3, from: 'u_li', ts: 1, kind: 'text', body: { text: 'hi' }, client_msg_id: 'c1',
};
const events = {
  message: { v: 1, type: 'message', msg },
  receipt: { v: 1, type: 'receipt', conversation_id: 'd:a:b', reader: 'a', seq: 3 },
  recall: { v: 1, type: 'recall', conversation_id: 'g:g1', msg_id: 'm1' },
  workflow: { v: 1, type: 'workflow', workflow_id: 'interaction:m1:a_sales', conversation_id: 'g:g1', status: 'running', step: 'call' },
  notify: { v: 1, type: 'notify', kind: 'new_employee', text: 'Welcome', data: { id: 'u_x' } },
};

describe('events', () => {
  it.each(Object.entries(events))('%s is a valid event', (_, e) => {
    expect(Event.safeParse(e).success).toBe(true);
  });
  it('each schema accepts its own kind only', () => {
    expect(MessageEvent.safeParse(events.message).success).toBe(true);
    expect(ReceiptEvent.safeParse({ v: 1, type: 'receipt', conversation_id: 'g:g1', seq: 3, read_count: 2 }).success).toBe(true);
    expect(RecallEvent.safeParse(events.recall).success).toBe(true);
    expect(WorkflowEvent.safeParse(events.workflow).success).toBe(true);
    expect(NotifyEvent.safeParse({ v: 1, type: 'notify', kind: 'k', text: 't' }).success).toBe(true);
    expect(MessageEvent.safeParse(events.recall).success).toBe(false);
    expect(RecallEvent.safeParse(events.message).success).toBe(false);
  });
  it('knows the workflow statuses', () => {
    expect(WorkflowStatus.options).toEqual(['running', 'waiting', 'completed', 'failed']);
  });
  it.each([
    [{ ...events.message, v: 2 }, 'v'],
    [{ ...events.message, msg: { ...msg, seq: 0 } }, 'msg.seq'],
    [{ ...events.message, msg: undefined }, 'msg'],
    [{ ...events.receipt, conversation_id: 'd:b:a' }, 'conversation_id'],
    [{ ...events.receipt, seq: -1 }, 'seq'],
    [{ ...events.receipt, reader: 'x/y' }, 'reader'],
    [{ ...events.receipt, read_count: 1.5 }, 'read_count'],
    [{ ...events.recall, msg_id: 5 }, 'msg_id'],
    [{ ...events.workflow, status: 'cancelled' }, 'status'],
    [{ ...events.workflow, step: undefined }, 'step'],
    [{ ...events.notify, text: undefined }, 'text'],
  ])('rejects %j at %s', (e, path) => expect(paths(Event, e)).toContain(path));
  it.each([{ v: 1, type: 'handoff' }, { v: 1 }, null, 'message'])('rejects unknown or missing type %j', (e) => {
    expect(Event.safeParse(e).success).toBe(false);
  });
});

describe('Presence', () => {
  it.each(['online', 'away', 'offline'])('accepts %s', (state) => {
    expect(Presence.safeParse({ state, ts: 1_764_000_000_000 }).success).toBe(true);
    expect(PresenceState.safeParse(state).success).toBe(true);
  });
  it.each([
    [{ state: 'busy', ts: 1 }, 'state'],
    [{ state: 'online' }, 'ts'],
    [{ state: 'online', ts: -1 }, 'ts'],
    [{ state: 'online', ts: '1' }, 'ts'],
  ])('rejects %j at %s', (p, path) => expect(paths(Presence, p)).toContain(path));
});

describe('StatusUpdate (what a client may publish on its own status topic)', () => {
  it.each([{ state: 'away' }, { state: 'online', ts: 1 }])('accepts %j', (u) => expect(StatusUpdate.safeParse(u).success).toBe(true));
  it('drops fields it does not know', () => expect(StatusUpdate.parse({ state: 'away', tag: 'x' })).toEqual({ state: 'away' }));
  it.each([
    [{ state: 'offline', ts: 1 }, 'state'],
    [{ state: 'busy' }, 'state'],
    [{}, 'state'],
    [{ state: 'away', ts: -1 }, 'ts'],
  ])('rejects %j at %s', (u, path) => expect(paths(StatusUpdate, u)).toContain(path));
});

describe('what is published on each topic', () => {
  type Checked<K extends keyof typeof topicPayloads> = z.output<(typeof topicPayloads)[K]>;
  it('types each topic by the schema that checks it', () => {
    expectTypeOf<TopicPayload<ReturnType<typeof topics.inbox>>>().toEqualTypeOf<Checked<'inbox'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.group>>>().toEqualTypeOf<Checked<'group'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.systemNotify>>>().toEqualTypeOf<Checked<'systemNotify'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.resp>>>().toEqualTypeOf<Checked<'resp'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.status>>>().toEqualTypeOf<Checked<'status'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.profile>>>().toEqualTypeOf<Checked<'profile'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.orgTree>>>().toEqualTypeOf<Checked<'orgTree'>>();
    expectTypeOf<TopicPayload<ReturnType<typeof topics.capability>>>().toEqualTypeOf<Checked<'capability'>>();
  });
  it('has nothing a service may publish on a request topic, nor on a bare string', () => {
    expectTypeOf<TopicPayload<ReqTopic>>().toBeNever();
    expectTypeOf<TopicPayload<string>>().toBeNever();
    expectTypeOf<ReqTopic>().not.toExtend<PublishedTopic>();
  });

  const card = { id: 'a_sales', name: 'Sales Assistant', title: 'AI', department_id: null, manager_id: null, skills_badge: [], role: 'member', status: 'active', is_ai_agent: true };
  it.each([
    [ProfileState, { v: 1, ...card }],
    [OrgTreeState, { v: 1, ts: 1, departments: [{ id: 'd1', name: 'Sales', parent_id: null, head_id: null, members: [], children: [] }], unassigned: [] }],
    [CapabilityState, { v: 1, skill: 'orders', agents: [card] }],
  ])('retained state %#', (schema, value) => {
    expect(schema.safeParse(value).success).toBe(true);
    expect(schema.safeParse({ ...value, v: 2 }).success).toBe(false);
  });
});
