import { describe, expect, it } from 'vitest';
import type { ConversationSummary, PublicProfile } from '../../../schemas/index.js';
import { applyMessage, directStub, recipientOf, sortConversations } from './conversations.js';
import { message } from './fixtures.js';

function conv(id: string, title: string, lastSeq: number, unread = 0): ConversationSummary {
  const last = lastSeq ? message(lastSeq, { conversation_id: id, ts: lastSeq * 1000 }) : undefined;
  return { conversation_id: id, kind: id.startsWith('g:') ? 'group' : 'direct', title, last_seq: lastSeq, unread, ...(last && { last_message: last }) };
}

const ids = (list: ConversationSummary[] | undefined) => list?.map((c) => c.conversation_id);

describe('sortConversations', () => {
  it('puts the most recent activity first and silent conversations last by title', () => {
    const list = [conv('g:b', 'Beta', 0), conv('g:old', 'Old', 2), conv('g:new', 'New', 9), conv('g:a', 'Alpha', 0)];
    expect(ids(sortConversations(list))).toEqual(['g:new', 'g:old', 'g:a', 'g:b']);
  });
});

describe('applyMessage', () => {
  const me = 'u_me';
  const list = [conv('g:ops', 'Ops', 5), conv('g:sales', 'Sales', 3)];

  it('moves the conversation up, with the new message, seq and one more unread', () => {
    const msg = message(4, { conversation_id: 'g:sales', ts: 99_000 });
    const next = applyMessage(list, msg, { me, openId: null });
    expect(ids(next)).toEqual(['g:sales', 'g:ops']);
    expect(next?.[0]).toMatchObject({ last_message: msg, last_seq: 4, unread: 1 });
  });

  it('does not count messages in the open conversation or my own', () => {
    const inOpen = applyMessage(list, message(6, { conversation_id: 'g:ops' }), { me, openId: 'g:ops' });
    const mine = applyMessage(list, message(6, { conversation_id: 'g:ops', from: me }), { me, openId: null });
    expect(inOpen?.find((c) => c.conversation_id === 'g:ops')?.unread).toBe(0);
    expect(mine?.find((c) => c.conversation_id === 'g:ops')?.unread).toBe(0);
  });

  it('counts a redelivered or older message only once, if at all', () => {
    const once = applyMessage(list, message(6, { conversation_id: 'g:ops' }), { me, openId: null })!;
    const again = applyMessage(once, message(6, { conversation_id: 'g:ops' }), { me, openId: null })!;
    const older = applyMessage(again, message(2, { conversation_id: 'g:ops' }), { me, openId: null })!;
    const ops = older.find((c) => c.conversation_id === 'g:ops');
    expect(ops).toMatchObject({ last_seq: 6, unread: 1 });
    expect(ops?.last_message?.seq).toBe(6);
  });

  it('takes news about the last message, such as a recall', () => {
    const recalled = message(5, { conversation_id: 'g:ops', recalled: true });
    const next = applyMessage(list, recalled, { me, openId: null });
    expect(next?.[0]?.last_message?.recalled).toBe(true);
    expect(next?.[0]?.unread).toBe(0);
  });

  it('says so when the conversation is not in the list', () => {
    expect(applyMessage(list, message(1, { conversation_id: 'g:new' }), { me, openId: null })).toBeUndefined();
  });
});

describe('directStub and recipientOf', () => {
  const peer = { id: 'a_sales', name: 'Sales Assistant', is_ai_agent: true } as PublicProfile;

  it('names a new direct chat after the peer, under the canonical id', () => {
    expect(directStub('u_me', peer)).toEqual({
      conversation_id: 'd:a_sales:u_me',
      kind: 'direct',
      title: 'Sales Assistant',
      peer_id: 'a_sales',
      last_seq: 0,
      unread: 0,
    });
  });

  it('addresses the other member of a direct chat, or the group', () => {
    expect(recipientOf('d:a_sales:u_me', 'u_me')).toEqual({ direct: 'a_sales' });
    expect(recipientOf('d:a_sales:u_li', 'u_me')).toEqual({ conversation: 'd:a_sales:u_li' });
    expect(recipientOf('d:a_sales:u_me', 'a_sales')).toEqual({ direct: 'u_me' });
    expect(recipientOf('g:ops', 'u_me')).toEqual({ group: 'ops' });
    expect(() => recipientOf('x:nope', 'u_me')).toThrow(/not a conversation id/);
  });
});
