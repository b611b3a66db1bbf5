import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationSummary } from './conversation.js';

const paths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

const message = {
  msg_id: 'm1', conversation_id: 'g:g1', seq: 1, from: 'u_li', ts: 1, kind: 'text',
  body: { text: 'hi', mentions: [], attachments: [] }, client_msg_id: 'c1',
};
const handoff = {
  conversation_id: 'd:a_sales:u_li', human_id: 'u_wang', agent_id: 'a_sales', requested_by: 'u_li', asker_id: 'u_li',
  reason: '转人工', workflow_id: 'handoff-1', state: 'active', since: 1,
};

describe('ConversationSummary', () => {
  const row = { conversation_id: 'g:g1', kind: 'group', title: 'Sales', group_id: 'g1', last_seq: 0 };
  it('accepts a row, with and without a last message and a hand-off', () => {
    expect(ConversationSummary.safeParse(row).success).toBe(true);
    expect(ConversationSummary.safeParse({ ...row, last_message: message, last_seq: 1, unread: 1 }).success).toBe(true);
    expect(ConversationSummary.safeParse({ ...row, handoff }).success).toBe(true);
  });
  it.each([
    [{ kind: 'channel' }, 'kind'],
    [{ last_seq: -1 }, 'last_seq'],
    [{ unread: 0.5 }, 'unread'],
    [{ conversation_id: 'g:+' }, 'conversation_id'],
    [{ peer_id: '#' }, 'peer_id'],
    [{ title: undefined }, 'title'],
    [{ last_message: { ...message, seq: 0 } }, 'last_message.seq'],
    [{ handoff: { ...handoff, state: 'pending' } }, 'handoff.state'],
  ])('rejects %j at %s', (patch, path) => expect(paths(ConversationSummary, { ...row, ...patch })).toContain(path));
});
