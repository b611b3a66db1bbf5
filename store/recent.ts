import type { Redis } from 'ioredis';
import type { Message } from '../schemas/index.js';
import { Batcher } from './batching.js';
import type { Logger } from '../lib/logger.js';

/**
 * Entries per conversation: an agent's context of 3, with room for the messages that arrive while
 * a question waits its turn (a burst of questions in one chat), pushes out of order and recall marks.
 */
const KEEP = 32;
/** A conversation quiet for this long drops out; its next agent question reads the database. */
const TTL_MS = 10 * 60_000;
/** Longer messages are not kept: the lists stay small, and such a context comes from the database. */
const MAX_ENTRY_CHARS = 8 * 1024;

/** A message recalled after it was remembered: recall only ever goes one way, so a mark wins. */
interface RecallMark {
  recalled_seq: number;
}

/**
 * The last few messages of each conversation in Redis, written by every process that stores one,
 * so that an agent's context (the messages before the question) costs no database query: on
 * FerretDB that query scans every message there is.
 *
 * A cache that vouches for itself: `before` answers only when it holds every seq it is asked for.
 * A push lost to a Redis outage, a crash between insert and push, or an expired list leaves a gap,
 * and the caller reads the database instead. Pushes from several processes may land out of order;
 * entries carry their seq.
 */
export class RecentMessages {
  private readonly pushes: Batcher<{ key: string; entry: string }, undefined>;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly log: Logger) {
    this.pushes = new Batcher(async (items) => {
      const pipeline = redis.pipeline();
      for (const { key, entry } of items) pipeline.lpush(key, entry).ltrim(key, 0, KEEP - 1).pexpire(key, TTL_MS);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err)?.[0];
      if (failed) throw failed;
      return items.map(() => undefined);
    });
  }

  /** After the message is stored; never delays or fails the caller. */
  remember(message: Message): void {
    const entry = JSON.stringify(message);
    if (entry.length <= MAX_ENTRY_CHARS) this.push(message.conversation_id, entry);
  }

  /** After the message is marked recalled in the database. */
  recall(conversationId: string, seq: number): void {
    this.push(conversationId, JSON.stringify({ recalled_seq: seq } satisfies RecallMark));
  }

  /**
   * The `count` messages before `message` (fewer at the start of a conversation), oldest first;
   * undefined when the list does not hold all of them.
   */
  async before(message: Message, count: number): Promise<Message[] | undefined> {
    const list = await this.read(message.conversation_id);
    if (!list) return undefined;
    const found: Message[] = [];
    for (let seq = Math.max(1, message.seq - count); seq < message.seq; seq++) {
      const m = list.bySeq.get(seq);
      if (!m) return undefined;
      found.push(list.recalled.has(seq) ? { ...m, recalled: true } : m);
    }
    return found;
  }

  /**
   * The highest seq remembered for the conversation: a message stored by some process, so a seq
   * that exists. Undefined when nothing is remembered or Redis cannot say.
   */
  async newestSeq(conversationId: string): Promise<number | undefined> {
    const seqs = [...((await this.read(conversationId))?.bySeq.keys() ?? [])];
    return seqs.length ? Math.max(...seqs) : undefined;
  }

  /** The conversation's list: its messages by seq and the seqs marked recalled; undefined without Redis. */
  private async read(conversationId: string): Promise<{ bySeq: Map<number, Message>; recalled: Set<number> } | undefined> {
    let raw: string[];
    try {
      raw = await this.redis.lrange(this.key(conversationId), 0, -1);
    } catch (err) {
      this.log.debug({ err }, 'recent messages unavailable; reading the database');
      return undefined;
    }
    const bySeq = new Map<number, Message>();
    const recalled = new Set<number>();
    for (const item of raw) {
      const entry = JSON.parse(item) as Message | RecallMark;
      if ('recalled_seq' in entry) recalled.add(entry.recalled_seq);
      else bySeq.set(entry.seq, entry);
    }
    return { bySeq, recalled };
  }

  private key(conversationId: string): string {
    return `${this.prefix}recent:${conversationId}`;
  }

  private push(conversationId: string, entry: string): void {
    this.pushes.add({ key: this.key(conversationId), entry }).catch((err: unknown) =>
      this.log.debug({ err, conversationId }, 'could not remember a recent message; agent context will read the database'),
    );
  }
}
