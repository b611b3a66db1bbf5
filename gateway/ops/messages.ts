import {
  type ConversationSummary, type Employee, type Event, type Group, type Handoff, type Message, type OpPayload, visible,
} from '../../schemas/index.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { MESSAGE_FIELDS, messagesAfter, messagesBefore } from '../../store/pages.js';
import { ownAttachments, withLinks } from '../files.js';
import { conversationAccess, directAccess, groupAccess, liveTopics, type Access } from './conversations.js';
import { newestCounted, noteSent, unreadCounts } from './reading.js';

export async function send(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.send'>) {
  const access = 'direct' in p.to
    ? await directAccess(ctx.m, caller, p.to.direct, 'payload.to.direct')
    : 'group' in p.to
      ? await groupAccess(ctx.m, caller, p.to.group, 'payload.to.group')
      : await conversationAccess(ctx.m, caller, p.to.conversation, 'payload.to.conversation');
  let quote_from: string | undefined;
  if (p.body.quote_msg_id) {
    const quoted = await ctx.m.Message.findOne({ msg_id: p.body.quote_msg_id, conversation_id: access.conversation_id }, { _id: 0, from: 1 }).lean();
    if (!quoted) throw new OpError('E_NOT_FOUND', 'quoted message is not in this conversation', 'payload.body.quote_msg_id');
    quote_from = quoted.from;
  }
  // Only the sender's own uploads, stored as { name, size, type, sha256, object_id }: never a link.
  const attachments = await ownAttachments(ctx.m, caller.id, p.body.attachments);
  const { message, created } = await ctx.store.store({
    conversation_id: access.conversation_id,
    members: access.kind === 'direct' ? access.members : [],
    from: caller.id,
    kind: p.body.card ? 'card' : attachments.length > 0 ? 'file' : 'text',
    body: { ...p.body, attachments },
    client_msg_id: p.client_msg_id,
    ...(quote_from ? { quote_from } : {}),
  });
  if (created) noteSent(ctx, message.conversation_id, caller.id, message.seq);
  // A retry may follow a first attempt that stored the message and died before delivering it, so
  // it delivers and dispatches again: clients drop a msg_id they have, and dispatch is idempotent.
  await deliver(ctx, access, message);
  // The message is stored and delivered: a dispatch failure must not turn that into an error.
  await ctx.agents.dispatch(message).catch((err: unknown) =>
    ctx.log.error({ err, msg_id: message.msg_id }, 'could not start agent work'),
  );
  return { msg_id: message.msg_id, conversation_id: message.conversation_id, seq: message.seq, ts: message.ts };
}

/**
 * Direct messages go to both inboxes (the sender's other devices too); group messages once to the
 * group; and while handed off, to the colleague who took it over as well.
 */
export async function deliver(ctx: GatewayContext, access: Access, msg: Message): Promise<void> {
  const event = { v: 1, type: 'message', msg: withLinks(ctx, msg) } satisfies Event;
  const targets = await liveTopics(ctx.m, access.conversation_id);
  await Promise.all(targets.map((t) => ctx.publisher.publish(t, event, { qos: 1 })));
}

export async function history(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.history'>) {
  await conversationAccess(ctx.m, caller, p.conversation_id, 'payload.conversation_id');
  const counted = (await newestCounted(ctx, [p.conversation_id])).get(p.conversation_id);
  // Newest page before a cursor, oldest page after one; always answered in ascending order.
  const rows = p.after_seq === undefined
    ? (await messagesBefore(ctx.m, p.conversation_id, p.before_seq, p.limit + 1, counted)).reverse()
    : await messagesAfter(ctx.m, p.conversation_id, p.after_seq, p.limit + 1, upTo(counted, p.before_seq));
  const has_more = rows.length > p.limit;
  const page = p.after_seq === undefined ? rows.slice(-p.limit) : rows.slice(0, p.limit);
  return { messages: page.map((msg) => withLinks(ctx, visible(msg))), has_more };
}

/** The newest seq a page may hold: the counter's, and before `before` when given. */
function upTo(counted: number | undefined, before: number | undefined): number | undefined {
  if (before === undefined) return counted;
  return Math.min(before - 1, counted ?? before - 1);
}

/**
 * The newest message: by its seq when the counter gives it (a point lookup, one document), else,
 * or while that seq is still being stored, the newest by sort.
 */
async function lastMessage(ctx: GatewayContext, conversationId: string, counted: number | undefined): Promise<Message | null> {
  const at = counted ? await ctx.m.Message.findOne({ conversation_id: conversationId, seq: counted }, MESSAGE_FIELDS).lean<Message>() : null;
  return at ?? ctx.m.Message.findOne({ conversation_id: conversationId }, MESSAGE_FIELDS).sort({ seq: -1 }).lean<Message>();
}

export async function list(ctx: GatewayContext, caller: Caller) {
  const [directs, groups] = await Promise.all([
    ctx.m.Conversation.find({ members: caller.id }, { _id: 0 }).lean(),
    ctx.m.Group.find({ members: caller.id, dissolved: false }, { _id: 0 }).lean<Group[]>(),
  ]);
  const peerIds = directs.map((c) => c.members.find((id) => id !== caller.id) ?? caller.id);
  const peers = new Map(
    (await ctx.m.Employee.find({ id: { $in: peerIds } }, { _id: 0, id: 1, name: 1 }).lean<Pick<Employee, 'id' | 'name'>[]>())
      .map((e) => [e.id, e.name]),
  );
  const rows: Omit<ConversationSummary, 'last_message' | 'last_seq'>[] = [
    ...directs.map((c, i) => ({
      conversation_id: c.conversation_id,
      kind: 'direct' as const,
      title: peers.get(peerIds[i]!) ?? peerIds[i]!,
      peer_id: peerIds[i]!,
    })),
    ...groups.map((g) => ({ conversation_id: `g:${g.id}`, kind: 'group' as const, title: g.name, group_id: g.id })),
  ];
  const ids = rows.map((r) => r.conversation_id);
  const counted = await newestCounted(ctx, ids);
  const [unread, handoffs] = await Promise.all([
    unreadCounts(ctx.m, caller.id, ids, counted),
    ctx.m.Handoff.find({ conversation_id: { $in: ids }, state: 'active' }, { _id: 0 }).lean<Handoff[]>()
      .then((active) => new Map(active.map((h) => [h.conversation_id, h]))),
  ]);
  const conversations: ConversationSummary[] = await Promise.all(
    rows.map(async (row) => {
      const last = await lastMessage(ctx, row.conversation_id, counted.get(row.conversation_id));
      const handoff = handoffs.get(row.conversation_id);
      const extra = { unread: unread.get(row.conversation_id) ?? 0, ...(handoff ? { handoff } : {}) };
      return last ? { ...row, ...extra, last_message: withLinks(ctx, visible(last)), last_seq: last.seq } : { ...row, ...extra, last_seq: 0 };
    }),
  );
  conversations.sort((a, b) => (b.last_message?.ts ?? 0) - (a.last_message?.ts ?? 0));
  return { conversations };
}
