import { visible, type Event, type Message, type OpPayload } from '../../schemas/index.js';
import { keyedCollection, LazyMax, upsertMax, type MaxUpdate } from '../../store/bulk.js';
import { cursorKey, type Models } from '../../store/db.js';
import { newestStored } from '../../store/messages.js';
import { MESSAGE_FIELDS, messagesAfter } from '../../store/pages.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { withLinks } from '../files.js';
import { conversationAccess, liveTopics, type Access } from './conversations.js';

function cursorUpdate(conversationId: string, employeeId: string, seq: number): MaxUpdate {
  const identity = { conversation_id: conversationId, employee_id: employeeId };
  return { id: cursorKey(employeeId, conversationId), max: { seq }, onInsert: identity, legacy: identity };
}

/**
 * Moves readers' cursors forward only: reading an older message changes nothing. Under each
 * cursor's key, as the local FerretDB applies `$max` as read-then-write and two at once would let
 * the lower win.
 */
function advanceCursors(ctx: GatewayContext, updates: MaxUpdate[]): Promise<void> {
  return ctx.writes.run(updates.map((u) => `cursor:${u.id}`), () => upsertMax(keyedCollection(ctx.m.ReadCursor), updates));
}

/** How often, at most, one sender's cursor in one conversation is written for their own messages. */
const SENT_CURSOR_GAP_MS = 1_000;
const sentCursors = new WeakMap<GatewayContext, LazyMax>();

/**
 * Sending is reading: the sender's cursor moves to their message, but lazily (see LazyMax), as an
 * update per message would scan the cursors on FerretDB. Unread counts never count one's own
 * messages anyway; only what the sender had not read before, and read lists, lag: by a second, more
 * while the database is busy.
 */
export function noteSent(ctx: GatewayContext, conversationId: string, employeeId: string, seq: number): void {
  let cursors = sentCursors.get(ctx);
  if (!cursors) sentCursors.set(ctx, (cursors = new LazyMax((updates) => advanceCursors(ctx, updates), SENT_CURSOR_GAP_MS, ctx.log)));
  cursors.raise(cursorUpdate(conversationId, employeeId, seq));
}

/**
 * Whether `seq` was handed out: known to this process when it stored the conversation's messages,
 * else the shared counter's, else (Redis lost it) the newest stored.
 */
async function seqExists(ctx: GatewayContext, conversationId: string, seq: number): Promise<boolean> {
  if (seq <= (ctx.store.knownSeq(conversationId) ?? 0)) return true;
  if (seq <= (await ctx.store.counted(conversationId).catch(() => 0))) return true;
  return seq <= (await newestStored(ctx.m, conversationId));
}

/**
 * Where each conversation's counter has got to, in one Redis read; empty when Redis is away (then
 * every conversation is looked at). A page of messages costs a scan of the conversation on the
 * local FerretDB, so the conversations with nothing new are better not asked at all.
 */
export function newestCounted(ctx: GatewayContext, conversationIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
  return ctx.store.countedMany(conversationIds).catch((err: unknown) => {
    ctx.log.warn({ err }, 'seq counters unavailable; reading every conversation');
    return new Map<string, number>();
  });
}

/** False only when the counter says nothing was numbered after `seq`. */
function hasNew(counted: ReadonlyMap<string, number>, conversationId: string, seq: number): boolean {
  const newest = counted.get(conversationId);
  return newest === undefined || newest > seq;
}

/**
 * Catch-up after being away: every message after each cursor, conversation by conversation,
 * in order, at most `limit` in all. Conversations the caller takes part in but did not name start
 * from 0, so a new device gets everything.
 */
export async function sync(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.sync'>) {
  const cursors = new Map(Object.entries(p.cursors));
  // Conversations handed off to the caller count as theirs while the hand-off is active.
  const [directs, groups, handedOff] = await Promise.all([
    ctx.m.Conversation.find({ members: caller.id }, { conversation_id: 1 }).lean(),
    ctx.m.Group.find({ members: caller.id, dissolved: false }, { id: 1 }).lean(),
    ctx.m.Handoff.find({ human_id: caller.id, state: 'active' }, { _id: 0, conversation_id: 1 }).lean<{ conversation_id: string }[]>(),
  ]);
  const mine = new Set([...directs.map((c) => c.conversation_id), ...groups.map((g) => `g:${g.id}`), ...handedOff.map((h) => h.conversation_id)]);
  for (const id of cursors.keys()) {
    if (!mine.has(id)) await conversationAccess(ctx.m, caller, id, `payload.cursors.${id}`);
  }
  const ids = [...new Set([...cursors.keys(), ...mine])].sort();
  const counted = await newestCounted(ctx, ids);
  const messages: Message[] = [];
  let has_more = false;
  for (const id of ids) {
    const after = cursors.get(id) ?? 0;
    if (!hasNew(counted, id, after)) continue;
    const room = p.limit - messages.length;
    if (room === 0) {
      has_more = true;
      break;
    }
    // With the counter, a full page's last seq tells whether more follow; without, one more is read.
    const newest = counted.get(id);
    const page = await messagesAfter(ctx.m, id, after, newest === undefined ? room + 1 : room, newest);
    messages.push(...page.slice(0, room).map((msg) => withLinks(ctx, visible(msg))));
    if (page.length > room || (page.length === room && newest !== undefined && page[room - 1]!.seq < newest)) {
      has_more = true;
      break;
    }
  }
  return { messages, has_more };
}

export async function read(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.read'>) {
  const access = await conversationAccess(ctx.m, caller, p.conversation_id, 'payload.conversation_id');
  if (!(await seqExists(ctx, p.conversation_id, p.seq))) throw new OpError('E_SCHEMA', `seq ${p.seq} is after the last message`, 'payload.seq');
  await advanceCursors(ctx, [cursorUpdate(p.conversation_id, caller.id, p.seq)]);
  await receipt(ctx, access, caller.id, p.seq);
  return { conversation_id: p.conversation_id, seq: p.seq };
}

/** Direct chats: both sides see who read how far. Groups: an aggregate count, throttled. */
async function receipt(ctx: GatewayContext, access: Access, reader: string, seq: number): Promise<void> {
  if (access.kind === 'group') return ctx.receipts.read(access.conversation_id, access.group.id, seq);
  const event = { v: 1, type: 'receipt', conversation_id: access.conversation_id, reader, seq } satisfies Event;
  await Promise.all((await liveTopics(ctx.m, access.conversation_id)).map((t) => ctx.publisher.publish(t, event, { qos: 1 })));
}

/** Who has read up to `seq`: a group's read list, loaded when someone asks. */
export async function readers(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.readers'>) {
  await conversationAccess(ctx.m, caller, p.conversation_id, 'payload.conversation_id');
  const rows = await ctx.m.ReadCursor.find({ conversation_id: p.conversation_id, seq: { $gte: p.seq } }, { employee_id: 1 }).lean();
  const ids = rows.map((r) => r.employee_id).sort();
  return { conversation_id: p.conversation_id, seq: p.seq, read_count: ids.length, readers: ids };
}

export async function recall(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.recall'>) {
  const msg = await ctx.m.Message.findOne({ msg_id: p.msg_id }, MESSAGE_FIELDS).lean<Message>();
  // Someone else's message and no message look the same: ids of others' messages are not probed.
  if (!msg || msg.from !== caller.id) throw new OpError('E_NOT_FOUND', `no message "${p.msg_id}" of yours`, 'payload.msg_id');
  if (msg.recalled) throw new OpError('E_CONFLICT', 'already recalled', 'payload.msg_id');
  if (Date.now() - msg.ts > ctx.recallWindowMs) {
    throw new OpError('E_CONFLICT', `messages can be recalled for ${Math.round(ctx.recallWindowMs / 1000)} s after sending`, 'payload.msg_id');
  }
  await ctx.m.Message.updateOne({ msg_id: p.msg_id }, { $set: { recalled: true } });
  ctx.store.recent?.recall(msg.conversation_id, msg.seq);
  const event = { v: 1, type: 'recall', conversation_id: msg.conversation_id, msg_id: msg.msg_id } satisfies Event;
  await Promise.all((await liveTopics(ctx.m, msg.conversation_id)).map((t) => ctx.publisher.publish(t, event, { qos: 1 })));
  return { msg_id: msg.msg_id, conversation_id: msg.conversation_id, seq: msg.seq };
}

/** Unread per conversation for `employeeId`: after their cursor, not counting their own. */
export async function unreadCounts(
  m: Models, employeeId: string, conversationIds: readonly string[], counted: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const cursors = new Map(
    (await m.ReadCursor.find({ employee_id: employeeId, conversation_id: { $in: conversationIds } }).lean())
      .map((c) => [c.conversation_id, c.seq]),
  );
  const counts = await Promise.all(conversationIds.map(async (id) => {
    const after = cursors.get(id) ?? 0;
    return hasNew(counted, id, after) ? m.Message.countDocuments({ conversation_id: id, seq: { $gt: after }, from: { $ne: employeeId } }).exec() : 0;
  }));
  return new Map(conversationIds.map((id, i) => [id, counts[i]!]));
}
