import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentReply, AgentRequest, AskerProfile, MAX_SIGNATURE_AGE_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook.js';

const paths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

const msg = {
  msg_id: 'm1', conversation_id: 'd:a_sales:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text', body: { text: '查订单 SO-1001' }, client_msg_id: 'c1',
};
const asker = { id: 'u_li', name: 'Li Lei', title: 'Sales', department: 'Sales', manager: null };
const request = { interaction_id: 'interaction:m1:a_sales', agent_id: 'a_sales', message: msg, context: { last_messages: [msg], asker } };

describe('constants', () => {
  it('uses lower-case header names (as node delivers them) and a 5 minute window', () => {
    expect(SIGNATURE_HEADER).toBe('x-mchat-signature');
    expect(TIMESTAMP_HEADER).toBe('x-mchat-timestamp');
    expect(MAX_SIGNATURE_AGE_MS).toBe(300_000);
  });
});

describe('AskerProfile', () => {
  it('accepts a profile', () => expect(AskerProfile.safeParse(asker).success).toBe(true));
  it.each([
    [{ id: 'u li' }, 'id'],
    [{ name: undefined }, 'name'],
    [{ department: undefined }, 'department'],
    [{ manager: 5 }, 'manager'],
  ])('rejects %j at %s', (patch, path) => expect(paths(AskerProfile, { ...asker, ...patch })).toContain(path));
});

describe('AgentRequest', () => {
  const event = { type: 'approval_decided', task_id: 't-1', summary: 's', decision: 'approve', approver: { id: 'u_wang', name: 'Wang Fang' }, decided_at: 1 };
  it('accepts a request with and without relay, and a follow-up with its event', () => {
    expect(AgentRequest.safeParse(request).success).toBe(true);
    expect(AgentRequest.safeParse({ ...request, relay: { hop: 1, from_agent: 'a_ops', notes: 'n' } }).success).toBe(true);
    expect(AgentRequest.parse({ ...request, event: { ...event, comment: 'ok' } }).event).toEqual({ ...event, comment: 'ok' });
  });
  it.each([
    [{ interaction_id: '' }, 'interaction_id'],
    [{ agent_id: '#' }, 'agent_id'],
    [{ message: { ...msg, body: {} } }, 'message.body.text'],
    [{ context: { last_messages: [msg, msg, msg, msg], asker } }, 'context.last_messages'],
    [{ context: { last_messages: [] } }, 'context.asker'],
    [{ context: undefined }, 'context'],
    [{ relay: { hop: -1, from_agent: 'a', notes: '' } }, 'relay.hop'],
    [{ relay: { hop: 0, from_agent: 'a/b', notes: '' } }, 'relay.from_agent'],
    [{ event: { ...event, type: 'approval_escalated' } }, 'event.type'],
    [{ event: { ...event, decision: 'maybe' } }, 'event.decision'],
    [{ event: { ...event, approver: { id: 'u_wang' } } }, 'event.approver.name'],
  ])('rejects %j at %s', (patch, path) => expect(paths(AgentRequest, { ...request, ...patch })).toContain(path));
});

describe('AgentReply', () => {
  it.each([
    { text: 'hi' },
    { card: { title: 'Order' } },
    { next_agent: 'a_ops' },
    { needs_approval: { approver: 'u_wang', summary: 'discount' } },
    { handoff: { reason: 'angry customer' } },
  ])('accepts %j', (r) => expect(AgentReply.safeParse(r).success).toBe(true));
  it('needs at least one field', () => {
    expect(AgentReply.safeParse({}).success).toBe(false);
    expect(AgentReply.safeParse({ text: undefined }).success).toBe(false);
  });
  it.each([
    [{ text: 'x'.repeat(8_001) }, 'text'],
    [{ card: { title: '' } }, 'card.title'],
    [{ next_agent: '+' }, 'next_agent'],
    [{ needs_approval: { approver: 'u_wang' } }, 'needs_approval.summary'],
    [{ needs_approval: { approver: 'u_wang', summary: 's'.repeat(2_001) } }, 'needs_approval.summary'],
    [{ handoff: {} }, 'handoff.reason'],
  ])('rejects %j at %s', (r, path) => expect(paths(AgentReply, r)).toContain(path));
});
