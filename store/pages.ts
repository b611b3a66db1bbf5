import type { Message } from '../schemas/index.js';
import type { Models } from './db.js';

/**
 * Every stored message also carries `block`, which BLOCK seqs it is among: the local FerretDB hands
 * PostgreSQL only equalities, so a seq range made it decode the whole conversation in Go for every
 * page, while `{conversation_id, block}` narrows the rows to one block there. MongoDB's
 * `(conversation_id, seq)` index serves the same query by its seq bounds.
 */
export const BLOCK = 1000;
/** Seqs start at 1, so block 0 is 1…1000: a page of 1,000 from a cursor at a block's end reads one block. */
export const blockOf = (seq: number): number => Math.floor((seq - 1) / BLOCK);
const firstOf = (block: number): number => block * BLOCK + 1;

/** Messages as read back: without their storage-only fields. */
export const MESSAGE_FIELDS = { _id: 0, block: 0, day: 0 } as const;

const DAY_MS = 86_400_000;
/** The UTC day a time falls on, as whole days since 1970: what messages store as `day`. */
export const dayOf = (ts: number): number => Math.floor(ts / DAY_MS);

/**
 * Up to `limit` messages after `after` and up to `newest`, oldest first. `newest` is at most the
 * conversation's counter: seqs are numbered without gaps, so which seqs each block must give is
 * known, and one that comes back with a gap (stored before blocks existed, or a seq reserved and
 * not yet stored) is read by range instead. Without `newest`, by range.
 */
export async function messagesAfter(m: Models, conversationId: string, after: number, limit: number, newest?: number): Promise<Message[]> {
  if (newest === undefined) return byRange(m, conversationId, { $gt: after }, 1, limit);
  const out: Message[] = [];
  for (let block = blockOf(after + 1); out.length < limit && block <= blockOf(newest); block++) {
    const from = Math.max(after + 1, firstOf(block));
    const to = Math.min(newest, firstOf(block + 1) - 1);
    const room = limit - out.length;
    const rows = await byBlock(m, conversationId, block, { $gte: from, $lte: to }, 1, room);
    if (!gapless(rows, Math.min(to - from + 1, room), from + Math.min(to - from + 1, room) - 1)) {
      return out.concat(await byRange(m, conversationId, { $gt: out.at(-1)?.seq ?? after, $lte: newest }, 1, room));
    }
    out.push(...rows);
  }
  return out;
}

/** Up to `limit` messages before `before` (all of them when absent), newest first. */
export async function messagesBefore(m: Models, conversationId: string, before: number | undefined, limit: number, newest?: number): Promise<Message[]> {
  const last = before === undefined ? newest : Math.min(before - 1, newest ?? before - 1);
  if (last === undefined) return byRange(m, conversationId, {}, -1, limit);
  const out: Message[] = [];
  for (let block = blockOf(last); out.length < limit && block >= 0; block--) {
    const from = firstOf(block);
    const to = Math.min(last, firstOf(block + 1) - 1);
    const room = limit - out.length;
    const rows = await byBlock(m, conversationId, block, { $gte: from, $lte: to }, -1, room);
    if (!gapless(rows, Math.min(to - from + 1, room), to - Math.min(to - from + 1, room) + 1)) {
      return out.concat(await byRange(m, conversationId, { $lt: out.at(-1)?.seq ?? last + 1 }, -1, room));
    }
    out.push(...rows);
  }
  return out;
}

/**
 * Whether a block's rows are all the seqs it should hold: as many as expected, ending where the
 * run of seqs must end (distinct seqs within the bounds that many can only be that run).
 */
function gapless(rows: readonly Message[], expected: number, lastSeq: number): boolean {
  return rows.length === expected && (expected === 0 || rows[expected - 1]!.seq === lastSeq);
}

type SeqBounds = { $gt?: number; $gte?: number; $lt?: number; $lte?: number };

function byBlock(m: Models, conversationId: string, block: number, seq: SeqBounds, order: 1 | -1, limit: number): Promise<Message[]> {
  return m.Message.find({ conversation_id: conversationId, block, seq }, MESSAGE_FIELDS).sort({ seq: order }).limit(limit).lean<Message[]>().exec();
}

function byRange(m: Models, conversationId: string, seq: SeqBounds, order: 1 | -1, limit: number): Promise<Message[]> {
  const filter = Object.keys(seq).length ? { conversation_id: conversationId, seq } : { conversation_id: conversationId };
  return m.Message.find(filter, MESSAGE_FIELDS).sort({ seq: order }).limit(limit).lean<Message[]>().exec();
}
