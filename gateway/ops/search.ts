import { z } from 'zod';
import { groupConversationId, visible, type Employee, type Group, type Message, type OpPayload, type OpResult } from '../../schemas/index.js';
import { newestStored } from '../../store/messages.js';
import { MESSAGE_FIELDS } from '../../store/pages.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { withLinks } from '../files.js';
import { highlight, literalPattern } from './highlight.js';
import { newestCounted } from './reading.js';

/**
 * What one search may cost. FerretDB evaluates the text match itself, over every message of each
 * conversation asked (only `conversation_id` and `recalled` reach PostgreSQL), so the work is
 * bounded by how many conversations are asked; on MongoDB the `(conversation_id, seq)` index
 * bounds it to the newest `SCAN_PER_CONVERSATION` of each.
 */
export const SEARCH_LIMITS = {
  /** Conversations searched: the caller's, the ones with the most messages first. */
  conversations: 200,
  /** Newest messages of each conversation searched. */
  scanPerConversation: 5_000,
  /** Conversations asked at once. */
  parallel: 8,
} as const;

/** Where a page ended: the last hit's time and id, newest-first order being (ts, msg_id) descending. */
const Cursor = z.object({ ts: z.number().int().nonnegative(), id: z.string().min(1).max(64) }).strict();
type Cursor = z.infer<typeof Cursor>;

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(raw: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw new OpError('E_SCHEMA', 'not a cursor this op gave: pass a next_cursor as it came', 'payload.cursor');
  }
}

/** Newer first: by time, then by id. */
const newer = (a: Cursor, b: Cursor) => (a.ts !== b.ts ? b.ts - a.ts : a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const keyOf = (m: Message): Cursor => ({ ts: m.ts, id: m.msg_id });

interface Conversations {
  ids: string[];
  groups: Map<string, Group>;
  peers: Map<string, string>;
}

/** The conversations the caller is in now, as `msg.sync` finds them: a removed member's group is not. */
async function conversationsOf(ctx: GatewayContext, caller: Caller): Promise<Conversations> {
  const [directs, groups] = await Promise.all([
    ctx.m.Conversation.find({ members: caller.id }, { _id: 0, conversation_id: 1, members: 1 }).lean(),
    ctx.m.Group.find({ members: caller.id, dissolved: false }, { _id: 0, id: 1, name: 1 }).lean<Group[]>(),
  ]);
  const peers = new Map(directs.map((c) => [c.conversation_id, c.members.find((id) => id !== caller.id) ?? caller.id]));
  const byId = new Map(groups.map((g) => [groupConversationId(g.id), g]));
  return { ids: [...peers.keys(), ...byId.keys()], groups: byId, peers };
}

/** One conversation's matches after `cursor`, newest first, at most `take`; `full` when there may be more. */
async function matchesIn(
  ctx: GatewayContext, conversationId: string, pattern: string, newest: number, cursor: Cursor | undefined, take: number,
): Promise<{ rows: Message[]; full: boolean }> {
  const filter: Record<string, unknown> = {
    conversation_id: conversationId,
    recalled: { $ne: true },
    'body.text': { $regex: pattern, $options: 'i' },
    seq: { $gt: newest - SEARCH_LIMITS.scanPerConversation },
  };
  if (cursor) filter.ts = { $lte: cursor.ts };
  const raw = await ctx.m.Message.find(filter, MESSAGE_FIELDS).sort({ ts: -1, msg_id: -1 }).limit(take).lean<Message[]>();
  // Same-millisecond messages at or before the cursor in order were on an earlier page.
  const rows = cursor ? raw.filter((m) => newer(cursor, keyOf(m)) < 0) : raw;
  return { rows, full: raw.length === take };
}

/** Runs `work` over `items`, `parallel` at a time, answers in order. */
async function inBatches<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += parallel) out.push(...(await Promise.all(items.slice(i, i + parallel).map(work))));
  return out;
}

/**
 * `msg.search`: asks each conversation for its newest matches after the cursor and merges them.
 * A conversation that filled its share may hold more below its last row, so the page stops at
 * the newest such "frontier": everything newer than it, from every conversation, was read.
 */
export async function search(ctx: GatewayContext, caller: Caller, p: OpPayload<'msg.search'>): Promise<OpResult<'msg.search'>> {
  const cursor = p.cursor === undefined ? undefined : decodeCursor(p.cursor);
  const mine = await conversationsOf(ctx, caller);
  const counted = await newestCounted(ctx, mine.ids);
  const asked = [...mine.ids]
    .sort((a, b) => (counted.get(b) ?? 0) - (counted.get(a) ?? 0) || (a < b ? -1 : 1))
    .slice(0, SEARCH_LIMITS.conversations);
  const pattern = literalPattern(p.q);
  const take = p.limit + 1;
  const found = await inBatches(asked, SEARCH_LIMITS.parallel, async (id) =>
    matchesIn(ctx, id, pattern, counted.get(id) ?? (await newestStored(ctx.m, id)), cursor, take));

  const frontier = found
    .filter((f) => f.full && f.rows.length > 0)
    .map((f) => keyOf(f.rows.at(-1)!))
    .sort(newer)
    .at(0);
  const merged = found.flatMap((f) => f.rows).sort((a, b) => newer(keyOf(a), keyOf(b)));
  const complete = frontier ? merged.filter((m) => newer(keyOf(m), frontier) <= 0) : merged;
  const page = complete.slice(0, p.limit);
  const has_more = merged.length > page.length || found.some((f) => f.full);
  const last = page.at(-1);

  const peerNames = await namesOf(ctx, [...new Set(page.map((m) => mine.peers.get(m.conversation_id)).filter((id) => id !== undefined))]);
  const hits = page.map((msg) => {
    const group = mine.groups.get(msg.conversation_id);
    const peer = mine.peers.get(msg.conversation_id);
    const conversation = group
      ? { conversation_id: msg.conversation_id, kind: 'group' as const, title: group.name, group_id: group.id }
      : { conversation_id: msg.conversation_id, kind: 'direct' as const, title: peerNames.get(peer!) ?? peer!, peer_id: peer! };
    return { message: withLinks(ctx, visible(msg)), conversation, highlight: highlight(msg.body.text ?? '', p.q) };
  });
  return { hits, has_more: has_more && last !== undefined, ...(has_more && last ? { next_cursor: encodeCursor(keyOf(last)) } : {}) };
}

async function namesOf(ctx: GatewayContext, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.m.Employee.find({ id: { $in: ids } }, { _id: 0, id: 1, name: 1 }).lean<Pick<Employee, 'id' | 'name'>[]>();
  return new Map(rows.map((e) => [e.id, e.name]));
}
