import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Event, MessageEvent, NotifyEvent, Presence, PresenceState, RecallEvent, ReceiptEvent, WorkflowEvent } from './events.js';
import { WorkflowStatus } from './agents.js';

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
