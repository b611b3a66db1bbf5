import { randomFillSync } from 'node:crypto';
import type { Document } from 'mongodb';
import { ulid } from 'ulid';
import type { Message, MessageBody } from '../schemas/index.js';
import { Batcher, Lru } from './batching.js';
import { insertAll, keyedCollection, LazyMax, type InsertOutcome, type KeyedCollection, type KeyedDoc, type WriteFailure } from './bulk.js';
import { messageKey, type Models } from './db.js';
import { createLogger, type Logger } from './logger.js';
import type { RecentMessages } from './recent.js';

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

/** What this process knows of a conversation: a seq that exists (0: none known), and whether its document does. */
interface Tail {
  seq: number;
  doc: boolean;
}

const MAX_ATTEMPTS = 20;
/** Seq collisions answered by trying the next seq, before asking the database for the last one. */
const PROBES = 2;
const KNOWN_CONVERSATIONS = 100_000;
/**
 * How often, at most, a conversation's `last_seq` is written (see LazyMax): it only seeds a process
 * that has not seen the conversation yet, and a lag costs that process a collision or two.
 */
const LAST_SEQ_GAP_MS = 5_000;

/**
 * Stores a message with the next sequence number of its conversation, exactly once per sender +
 * client_msg_id, with no database read on the way in the common case:
 *
 * - The message's `_id` is the idempotency key, so a retry is refused by the `_id` index (and then
 *   read back); the seq comes from the unique (conversation_id, seq) index, not a counter, so a
 *   seq exists only when its message does.
 * - Each process remembers the last seq it knows exists per conversation, seeded from the
 *   conversation document (by `_id`). Writers in one process take turns per conversation; a
 *   collision on the seq index (another process wrote, or `last_seq` lags after a crash) moves on
 *   past the newest seq remembered in Redis (recent.ts) or to the next seq, then asks the
 *   database for the true last one. Only a seq known to exist is ever built on,
 *   and messages are never deleted, so seqs stay gap-free.
 * - Messages of all conversations arriving together go out in one unordered insertMany.
 * - The conversation document is inserted with the first message this process stores in it (a
 *   duplicate means it exists); its `last_seq` is raised lazily, being only where seeding starts.
 */
export class MessageStore {
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly tails = new Lru<string, Tail>(KNOWN_CONVERSATIONS);
  private readonly messages: KeyedCollection;
  private readonly conversations: KeyedCollection;
  private readonly inserts: Batcher<KeyedDoc, InsertOutcome>;
  private readonly conversationInserts: Batcher<KeyedDoc, InsertOutcome>;
  private readonly seeds: Batcher<string, KeyedDoc | undefined>;
  private readonly lastSeqs: LazyMax;
  private legacyKeys: Promise<boolean> | undefined;

  /** `recent`: where stored messages are also remembered for agent context (see recent.ts). */
  constructor(private readonly m: Models, log: Logger = createLogger('message-store'), readonly recent?: RecentMessages) {
    this.messages = keyedCollection(m.Message);
    this.conversations = keyedCollection(m.Conversation);
    this.inserts = new Batcher((docs) => insertAll(this.messages, docs));
    this.conversationInserts = new Batcher((docs) => insertAll(this.conversations, docs));
    this.seeds = new Batcher((ids) => findAll(this.conversations, ids, { last_seq: 1 }));
    this.lastSeqs = new LazyMax(this.conversations, LAST_SEQ_GAP_MS, log);
  }

  store(input: NewMessage): Promise<Stored> {
    const id = input.conversation_id;
    const prev = this.lanes.get(id) ?? Promise.resolve();
    const next = prev.then(() => this.write(input), () => this.write(input));
    const lane = next.catch(() => undefined);
    this.lanes.set(id, lane);
    void lane.then(() => {
      if (this.lanes.get(id) === lane) this.lanes.delete(id);
    });
    return next;
  }

  /** A seq this process knows to exist in the conversation, if it knows one. */
  knownSeq(conversationId: string): number | undefined {
    return this.tails.get(conversationId)?.seq || undefined;
  }

  private async write(input: NewMessage): Promise<Stored> {
    const tail = await this.tail(input.conversation_id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const message = this.build(input, tail.seq + 1);
      const outcome = await this.inserts.add({ _id: messageKey(input.from, input.client_msg_id), ...message });
      if (outcome === undefined) {
        tail.seq = message.seq;
        this.recent?.remember(message);
        await this.recordConversation(input, message, tail);
        return { message, created: true };
      }
      if (outcome instanceof Error) throw outcome;
      const collided = collidedOn(outcome);
      if (collided !== 'seq') {
        const stored = await this.findRetry(input);
        if (stored) return { message: stored, created: false };
        if (collided === 'key') throw new Error(`duplicate key for ${messageKey(input.from, input.client_msg_id)}, but no such message`);
      }
      tail.seq = attempt < PROBES ? await this.pastCollision(input.conversation_id, message.seq) : await this.lastSeq(input.conversation_id);
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
    };
  }

  private async tail(conversationId: string): Promise<Tail> {
    const known = this.tails.get(conversationId);
    if (known) return known;
    const doc = await this.seeds.add(conversationId);
    const tail = { seq: (doc?.last_seq as number | undefined) ?? 0, doc: doc !== undefined };
    this.tails.set(conversationId, tail);
    return tail;
  }

  private async recordConversation(input: NewMessage, message: Message, tail: Tail): Promise<void> {
    const last = { last_seq: message.seq, last_ts: message.ts };
    if (!tail.doc) {
      const outcome = await this.conversationInserts.add({ _id: input.conversation_id, conversation_id: input.conversation_id, ...last, members: input.members });
      if (outcome instanceof Error) throw outcome;
      tail.doc = true;
      // Written with this message's seq; a duplicate is a document from before, raised below.
      if (!outcome) return;
    }
    this.lastSeqs.raise({
      id: input.conversation_id,
      max: last,
      onInsert: { conversation_id: input.conversation_id, members: input.members },
      legacy: { conversation_id: input.conversation_id },
    });
  }

  /**
   * The message a retry refers to: by `_id`, or in a database an older version wrote, by the
   * { from, client_msg_id } index it keyed messages by then.
   */
  private async findRetry(input: NewMessage): Promise<Message | null> {
    const byKey = await this.m.Message.findOne({ _id: messageKey(input.from, input.client_msg_id) }, { _id: 0 }).lean<Message>();
    if (byKey || !(await this.hasLegacyKeys())) return byKey;
    return this.m.Message.findOne({ from: input.from, client_msg_id: input.client_msg_id }, { _id: 0 }).lean<Message>();
  }

  private hasLegacyKeys(): Promise<boolean> {
    this.legacyKeys ??= this.messages.indexExists(LEGACY_KEY_INDEX).catch((err: unknown) => {
      this.legacyKeys = undefined;
      throw err;
    });
    return this.legacyKeys;
  }

  /**
   * Where to go on from a seq another writer took: past the newest message any process has
   * remembered in Redis (a gateway and a worker answering in one chat collide at every answer,
   * several seqs behind), else to the next seq.
   */
  private async pastCollision(conversationId: string, taken: number): Promise<number> {
    return Math.max(taken, (await this.recent?.newestSeq(conversationId)) ?? 0);
  }

  /** The slow way, by the (conversation_id, seq) index: a scan of the collection on FerretDB. */
  private async lastSeq(conversationId: string): Promise<number> {
    const last = await this.m.Message.findOne({ conversation_id: conversationId }, { seq: 1 }).sort({ seq: -1 }).lean();
    return last?.seq ?? 0;
  }
}

const LEGACY_KEY_INDEX = 'from_1_client_msg_id_1';

/**
 * Documents by `_id`, in the order asked. One id is asked by equality, which FerretDB hands to
 * SQL; several by `$in`, which it decodes the collection for, once for all of them.
 */
async function findAll(collection: KeyedCollection, ids: string[], projection: Document): Promise<(KeyedDoc | undefined)[]> {
  const filter = ids.length === 1 ? { _id: ids[0]! } : { _id: { $in: ids } };
  const found = new Map((await collection.find(filter, { projection }).toArray()).map((d) => [d._id, d]));
  return ids.map((id) => found.get(id));
}

/**
 * Which unique index a refused message collided with. MongoDB names it; FerretDB does not, and
 * then the retry lookup (by `_id`) tells: a message it does not find collided on the seq.
 */
function collidedOn(f: WriteFailure): 'key' | 'seq' | 'unknown' {
  const fields = Object.keys(f.keyPattern ?? {});
  const index = /index: (\S+)/.exec(f.errmsg ?? '')?.[1];
  if (fields.includes('seq') || index === 'conversation_id_1_seq_1') return 'seq';
  if (fields.includes('_id') || fields.includes('client_msg_id') || index === '_id_' || index === LEGACY_KEY_INDEX) return 'key';
  return 'unknown';
}
