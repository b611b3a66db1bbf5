import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Attachment, Card, ConversationId, directConversationId, groupConversationId, MAX_TEXT_LENGTH, Message,
  MessageBody, MessageKind, parseConversationId, Recipient,
} from './message.js';

const paths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

const sha = 'ab'.repeat(32);
const attachment = { name: 'a.pdf', size: 10, type: 'application/pdf', sha256: sha };
const message = {
  msg_id: 'm1', conversation_id: 'd:a_sales:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text',
  body: { text: 'hi', mentions: [], attachments: [] }, client_msg_id: 'c1',
};

describe('conversation ids', () => {
  const id = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/).filter((s) => s !== '.' && s !== '..');

  it('directConversationId is symmetric and sorted', () => {
    fc.assert(fc.property(id, id, (a, b) => {
      fc.pre(a !== b);
      const c = directConversationId(a, b);
      expect(c).toBe(directConversationId(b, a));
      const [lo, hi] = a < b ? [a, b] : [b, a];
      expect(c).toBe(`d:${lo}:${hi}`);
      expect(parseConversationId(c)).toEqual({ kind: 'direct', members: [lo, hi] });
    }));
  });
  it('groupConversationId round-trips', () => {
    fc.assert(fc.property(id, (g) => {
      expect(groupConversationId(g)).toBe(`g:${g}`);
      expect(parseConversationId(groupConversationId(g))).toEqual({ kind: 'group', groupId: g });
    }));
  });
  it.each(['d:u_li:a_sales', 'd:u_li:u_li', 'd:a', 'd:a:b:c', 'd::b', 'd:a:', 'd:a:.', 'd:.:a', 'd:a:b/c', 'd:a:b+', 'g:', 'g:a:b',
    'g:+', 'g:.', 'g:..', 'g:a/b', 'x:a', 'a_sales', '', 'G:a', 'D:a:b', `g:${'a'.repeat(65)}`])('parseConversationId refuses %j', (s) => {
    expect(parseConversationId(s)).toBeUndefined();
    expect(ConversationId.safeParse(s).success).toBe(false);
  });
  it('ConversationId accepts sorted direct ids and group ids', () => {
    expect(ConversationId.safeParse('d:a_sales:u_li').success).toBe(true);
    expect(ConversationId.safeParse('g:sales-team').success).toBe(true);
    expect(ConversationId.safeParse(`d:${'a'.repeat(64)}:${'b'.repeat(64)}`).success).toBe(true);
    expect(ConversationId.safeParse(5).success).toBe(false);
  });
});

describe('MessageBody', () => {
  it('applies defaults', () => {
    expect(MessageBody.parse({ text: 'hi' })).toEqual({ text: 'hi', mentions: [], attachments: [] });
  });
  it.each([
    { text: 'hi' },
    { attachments: [attachment] },
    { card: { title: 'Order' } },
    { text: 'a'.repeat(MAX_TEXT_LENGTH), mentions: ['u_li'], quote_msg_id: 'm0' },
  ])('accepts %j', (b) => expect(MessageBody.safeParse(b).success).toBe(true));
  it.each([{}, { text: '' }, { text: '   \n' }, { mentions: ['u_li'] }, { attachments: [] }])('needs text, attachment or card: %j', (b) => {
    expect(paths(MessageBody, b)).toEqual(['text']);
  });
  it.each([
    [{ text: 'a'.repeat(MAX_TEXT_LENGTH + 1) }, 'text'],
    [{ text: 5 }, 'text'],
    [{ text: 'hi', mentions: ['a/b'] }, 'mentions.0'],
    [{ text: 'hi', mentions: ['u', '..'] }, 'mentions.1'],
    [{ text: 'hi', mentions: Array.from({ length: 101 }, (_, i) => `u${i}`) }, 'mentions'],
    [{ text: 'hi', quote_msg_id: '#' }, 'quote_msg_id'],
    [{ text: 'hi', attachments: Array(21).fill(attachment) }, 'attachments'],
    [{ text: 'hi', attachments: [{ ...attachment, sha256: 'AB'.repeat(32) }] }, 'attachments.0.sha256'],
    [{ text: 'hi', card: { title: '' } }, 'card.title'],
  ])('rejects %j at %s', (b, path) => expect(paths(MessageBody, b)).toContain(path));
});

describe('Attachment and Card', () => {
  it('accepts valid ones', () => {
    expect(Attachment.safeParse({ ...attachment, url: 'https://x/y' }).success).toBe(true);
    expect(Card.parse({ title: 't' })).toEqual({ title: 't', fields: [], actions: [] });
  });
  it.each([
    [{ ...attachment, name: '' }, 'name'],
    [{ ...attachment, name: 'n'.repeat(256) }, 'name'],
    [{ ...attachment, size: -1 }, 'size'],
    [{ ...attachment, size: 1.5 }, 'size'],
    [{ ...attachment, type: '' }, 'type'],
    [{ ...attachment, sha256: 'ab' }, 'sha256'],
    [{ ...attachment, url: 'u'.repeat(2049) }, 'url'],
    [{ name: 'x' }, 'size'],
  ])('Attachment rejects %j at %s', (a, path) => expect(paths(Attachment, a)).toContain(path));
  it.each([
    [{}, 'title'],
    [{ title: 't'.repeat(257) }, 'title'],
    [{ title: 't', fields: [{ label: 'l' }] }, 'fields.0.value'],
    [{ title: 't', fields: Array(51).fill({ label: 'l', value: 'v' }) }, 'fields'],
    [{ title: 't', fields: [{ label: 'l'.repeat(129), value: 'v' }] }, 'fields.0.label'],
    [{ title: 't', actions: Array(11).fill({ label: 'l', value: 'v' }) }, 'actions'],
    [{ title: 't', actions: [{ label: 'l', value: 'v'.repeat(257) }] }, 'actions.0.value'],
  ])('Card rejects %j at %s', (c, path) => expect(paths(Card, c)).toContain(path));
});

describe('Message', () => {
  it('accepts a stored message', () => {
    expect(Message.safeParse(message).success).toBe(true);
    expect(Message.safeParse({ ...message, kind: 'card', body: { card: { title: 'x' } }, workflow_id: 'w', recalled: true }).success).toBe(true);
  });
  it('accepts a recalled message without content, as history and agent context carry it', () => {
    const hidden = { ...message, recalled: true, body: { mentions: [], attachments: [] } };
    expect(Message.safeParse(hidden).success).toBe(true);
    expect(paths(Message, { ...hidden, recalled: false })).toContain('body.text');
  });
  it.each(['text', 'card', 'file', 'system'])('kind %s is known', (k) => expect(MessageKind.safeParse(k).success).toBe(true));
  it.each([
    [{ msg_id: '' }, 'msg_id'],
    [{ conversation_id: 'd:u_li:a_sales' }, 'conversation_id'],
    [{ seq: 0 }, 'seq'],
    [{ seq: 1.5 }, 'seq'],
    [{ from: 'a b' }, 'from'],
    [{ ts: -1 }, 'ts'],
    [{ kind: 'video' }, 'kind'],
    [{ body: {} }, 'body.text'],
    [{ client_msg_id: undefined }, 'client_msg_id'],
    [{ workflow_id: 'w'.repeat(257) }, 'workflow_id'],
    [{ recalled: 'yes' }, 'recalled'],
  ])('rejects %j at %s', (patch, path) => expect(paths(Message, { ...message, ...patch })).toContain(path));
});

describe('Recipient', () => {
  it('accepts exactly one of direct, group or conversation', () => {
    expect(Recipient.parse({ direct: 'u_li' })).toEqual({ direct: 'u_li' });
    expect(Recipient.parse({ group: 'g1' })).toEqual({ group: 'g1' });
    expect(Recipient.parse({ conversation: 'd:t_help:u_li' })).toEqual({ conversation: 'd:t_help:u_li' });
  });
  it.each([{}, { direct: 'u_li', group: 'g1' }, { conversation: 'u_li' }, { conversation: 'g:g1', group: 'g1' }, { direct: '+' }, { group: '' }, { direct: 'u_li', extra: 1 }, { to: 'u_li' }, 'u_li'])(
    'rejects %j',
    (r) => expect(Recipient.safeParse(r).success).toBe(false),
  );
});
