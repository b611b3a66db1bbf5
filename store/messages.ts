import { randomFillSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import type { Message, MessageBody } from '../schemas/index.js';
import { Batcher, Lru } from './batching.js';
import { insertAll, keyedCollection, type InsertOutcome, type KeyedCollection, type KeyedDoc, type WriteFailure } from './bulk.js';
import { messageKey, type Models } from './db.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { RecentMessages } from './recent.js';
import { blockOf, dayOf, MESSAGE_FIELDS } from './pages.js';
import { SeqCounters, type Reservation } from './seqs.js';

export interface NewMessage {
  conversation_id: string;
  /** Who takes part, recorded on first write so conversations can be listed per employee. */
  members: string[];
  from: string;
  kind: Message['kind'];
  body: MessageBody;
  /** Idempotency key, unique per sender: every writer has one, so a retry never stores twice. */
  client_msg_id: string;
  workflow_id?: string;
  /** The author of the quoted message, when the body quotes one. */
  quote_from?: string;
}

export interface Stored {
  message: Message;
  /** False when an earlier request with the same sender + client_msg_id already stored it. */
  created: boolean;
}

/**
 * ulid draws one random byte per character, by default each from a call into the system; here
 * from a pool refilled 4 KiB at a time. Message ids need to be unique, not secret.
 */
const randomPool = { bytes: Buffer.alloc(4096), next: 4096 };
function pooledRandom(): number {
  if (randomPool.next === randomPool.bytes.length) {
    randomFillSync(randomPool.bytes);
    randomPool.next = 0;
  }
  return randomPool.bytes[randomPool.next++]! / 256;
}

export interface MessageStoreOptions {
  m: Models;
  /** Where the conversations' seq counters live, shared by every process that stores messages. */
  redis: Redis;
  /** REDIS_PREFIX. */
  prefix: string;
  log?: Logger;
  /** Where stored messages are also remembered for agent context (see recent.ts). */
  recent?: RecentMessages;
}

/** A seq taken by a message from before the counter was (re)seeded is skipped; more than this many in a row is a fault. */
const MAX_ATTEMPTS = 5;
const KNOWN_CONVERSATIONS = 100_000;
/** A reservation this old has a writer that died or gave up: its seq is filled. */
const HOLE_AGE_MS = 10_000;
const HOLE_SWEEP_MS = 5_000;

/**
 * Stores a message with the next seq of its conversation, exactly once per sender + client_msg_id:
 *
 * - The seq comes from the conversation's counter in Redis (seqs.ts), shared by every process
 *   that writes; the unique (conversation_id, seq) index stays as the guard, and a collision
 *   (a counter seeded again after Redis lost it) moves the counter past the stored newest.
 * - The message's `_id` is the idempotency key, so a retry is refused by the `_id` index and read
 *   back; one in flight in this process is joined instead.
 * - Reservations of all messages arriving together go out in one Redis call, and the messages in
 *   one unordered insertMany.
 * - A seq reserved but never stored (a writer that died, a retry of a stored message, a failed
 *   insert) is filled with an empty recalled message, so seqs stay 1, 2, 3… without a gap.
 * - The conversation document (who takes part) is inserted with the first message this process
 *   stores in it; a duplicate means it exists.
 */
export class MessageStore {
  private readonly inFlight = new Map<string, Promise<Stored>>();
  private readonly newest = new Lru<string, number>(KNOWN_CONVERSATIONS);
  private readonly recorded = new Lru<string, true>(KNOWN_CONVERSATIONS);
  private readonly messages: KeyedCollection;
  private readonly reservations: Batcher<{ conversation_id: string; from: string }, number>;
  private readonly inserts: Batcher<KeyedDoc, InsertOutcome>;
  private readonly settles: Batcher<Reservation, undefined>;
  private readonly conversationInserts: Batcher<KeyedDoc, InsertOutcome>;
  private readonly sweeper: NodeJS.Timeout;

  private readonly m: Models;
  private readonly seqs: SeqCounters;
  private readonly log: Logger;
  readonly recent: RecentMessages | undefined;

  constructor(options: MessageStoreOptions) {
    const { m, log = createLogger('message-store') } = options;
    this.m = m;
    this.log = log;
    this.recent = options.recent;
    const seqs = (this.seqs = new SeqCounters(options.redis, options.prefix, (id) => newestStored(m, id)));
    this.messages = keyedCollection(m.Message);
    const conversations = keyedCollection(m.Conversation);
    this.reservations = new Batcher((requests) => seqs.reserve(requests));
    this.inserts = new Batcher((docs) => insertAll(this.messages, docs));
    this.settles = new Batcher(async (done) => {
      await seqs.settle(done);
      return done.map(() => undefined);
    });
    this.conversationInserts = new Batcher((docs) => insertAll(conversations, docs));
    this.sweeper = setInterval(() => void this.fillHoles().catch((err: unknown) => log.warn({ err }, 'could not fill seq holes; trying again')), HOLE_SWEEP_MS);
    this.sweeper.unref();
  }

  store(input: NewMessage): Promise<Stored> {
    const key = messageKey(input.from, input.client_msg_id);
    const running = this.inFlight.get(key);
    if (running) return running.then((s) => ({ message: s.message, created: false }));
    const stored = this.write(key, input).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, stored);
    return stored;
  }

  /** The newest seq this process stored in the conversation, if it stored one. */
  knownSeq(conversationId: string): number | undefined {
    return this.newest.get(conversationId);
  }

  /** The newest seq of the conversation as the counter has it (reserved, maybe not yet stored). */
  counted(conversationId: string): Promise<number> {
    return this.seqs.current(conversationId);
  }

  /**
   * `counted` for many conversations in one read; those Redis does not know are left out. A
   * conversation whose counter is at or below a reader's cursor has nothing new for them.
   */
  countedMany(conversationIds: readonly string[]): Promise<Map<string, number>> {
    return this.seqs.currentMany(conversationIds);
  }

  /** Stops the hole sweeper of this store. */
  close(): void {
    clearInterval(this.sweeper);
  }

  private async write(key: string, input: NewMessage): Promise<Stored> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const seq = await this.reservations.add({ conversation_id: input.conversation_id, from: input.from });
      const reservation = { conversation_id: input.conversation_id, seq, from: input.from };
      const message = this.build(input, seq);
      // A failed insert leaves the reservation for the sweeper: whether the message landed is unknown.
      const outcome = await this.inserts.add({ _id: key, ...message, block: blockOf(seq), day: dayOf(message.ts) });
      if (outcome instanceof Error) throw outcome;
      if (outcome === undefined) {
        this.settle(reservation);
        this.newest.set(input.conversation_id, Math.max(seq, this.newest.get(input.conversation_id) ?? 0));
        this.recent?.remember(message);
        await this.recordConversation(input);
        return { message, created: true };
      }
      const earlier = await this.m.Message.findOne({ _id: key }, MESSAGE_FIELDS).lean<Message>();
      if (earlier) {
        await this.release(reservation);
        return { message: earlier, created: false };
      }
      if (collidedOn(outcome) === 'key') throw new Error(`duplicate key for ${key}, but no such message`);
      // The seq holds a message the counter did not know of: go on after the newest stored.
      this.settle(reservation);
      await this.seqs.raise(input.conversation_id, await newestStored(this.m, input.conversation_id));
    }
    throw new Error(`could not assign a sequence number in ${input.conversation_id} after ${MAX_ATTEMPTS} attempts`);
  }

  private build(input: NewMessage, seq: number): Message {
    return {
      msg_id: ulid(undefined, pooledRandom),
      conversation_id: input.conversation_id,
      seq,
      from: input.from,
      ts: Date.now(),
      kind: input.kind,
      body: input.body,
      client_msg_id: input.client_msg_id,
      ...(input.workflow_id ? { workflow_id: input.workflow_id } : {}),
      ...(input.quote_from ? { quote_from: input.quote_from } : {}),
    };
  }

  private settle(r: Reservation): void {
    this.settles.add(r).catch((err: unknown) => this.log.debug({ err, ...r }, 'reservation left for the sweeper'));
  }

  /** A reserved seq this writer does not need: handed back when it is the newest, else filled. */
  private async release(r: Reservation): Promise<void> {
    if (!(await this.seqs.giveBack(r))) await this.fill([r]);
  }

  /** Fills the seqs of reservations whose writers died or gave up (any process may; the index keeps one). */
  async fillHoles(ageMs = HOLE_AGE_MS): Promise<number> {
    const stale = await this.seqs.stale(ageMs);
    return stale.length ? this.fill(stale) : 0;
  }

  private async fill(holes: readonly Reservation[]): Promise<number> {
    const outcomes = await insertAll(this.messages, holes.map((h) => ({
      _id: `hole/${h.conversation_id}/${h.seq}`,
      block: blockOf(h.seq),
      ...this.build({
        conversation_id: h.conversation_id, members: [], from: h.from, kind: 'system',
        body: { mentions: [], attachments: [] }, client_msg_id: `hole-${h.seq}`,
      }, h.seq),
      recalled: true,
    })));
    // Written, or the seq holds a message (or another process's filler) already: either way, no hole.
    const done = holes.filter((_, i) => !(outcomes[i] instanceof Error));
    await this.seqs.settle(done);
    const filled = outcomes.filter((o) => o === undefined).length;
    if (filled) this.log.info({ filled }, 'filled seqs whose messages were never stored');
    return filled;
  }

  private async recordConversation(input: NewMessage): Promise<void> {
    if (this.recorded.get(input.conversation_id)) return;
    const outcome = await this.conversationInserts.add({ _id: input.conversation_id, conversation_id: input.conversation_id, members: input.members });
    if (outcome instanceof Error) throw outcome;
    this.recorded.set(input.conversation_id, true);
  }
}

/** The newest stored seq of a conversation (0 for none), by the (conversation_id, seq) index. */
export async function newestStored(m: Models, conversationId: string): Promise<number> {
  const last = await m.Message.findOne({ conversation_id: conversationId }, { _id: 0, seq: 1 }).sort({ seq: -1 }).lean();
  return last?.seq ?? 0;
}

/**
 * Which unique index a refused message collided with. MongoDB names it; FerretDB does not, and
 * then the retry lookup (by `_id`) tells: a message it does not find collided on the seq.
 */
function collidedOn(f: WriteFailure): 'key' | 'seq' | 'unknown' {
  const fields = Object.keys(f.keyPattern ?? {});
  const index = /index: (\S+)/.exec(f.errmsg ?? '')?.[1];
  if (fields.includes('seq') || index === 'conversation_id_1_seq_1') return 'seq';
  if (fields.includes('_id') || index === '_id_') return 'key';
  return 'unknown';
}
