import { topics, type Event } from '../schemas/index.js';
import type { Models } from '../store/db.js';
import type { Logger } from '../lib/logger.js';
import type { Publisher } from '../store/publisher.js';

/**
 * Group read receipts, aggregated: when members read, the group learns at most once per
 * `intervalMs` how many have read its newest read message — one publish per group, not one per
 * reader to every member. Who exactly has read is asked for with `msg.readers`.
 */
export class GroupReceipts {
  private readonly pending = new Map<string, { groupId: string; seq: number }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly m: Models,
    private readonly publisher: Publisher,
    private readonly log: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  read(conversationId: string, groupId: string, seq: number): void {
    const prev = this.pending.get(conversationId);
    this.pending.set(conversationId, { groupId, seq: Math.max(seq, prev?.seq ?? 0) });
    if (this.timers.has(conversationId)) return;
    this.timers.set(conversationId, setTimeout(() => void this.flush(conversationId), this.intervalMs));
  }

  private async flush(conversationId: string): Promise<void> {
    this.timers.delete(conversationId);
    const next = this.pending.get(conversationId);
    this.pending.delete(conversationId);
    if (!next) return;
    try {
      const read_count = await this.m.ReadCursor.countDocuments({ conversation_id: conversationId, seq: { $gte: next.seq } });
      const event = { v: 1, type: 'receipt', conversation_id: conversationId, seq: next.seq, read_count } satisfies Event;
      await this.publisher.publish(topics.group(next.groupId), event, { qos: 1 });
    } catch (err) {
      this.log.warn({ err, conversationId }, 'could not publish a group receipt');
    }
  }

  /** Sends what is pending now (shutdown). */
  async close(): Promise<void> {
    for (const [conversationId, timer] of this.timers) {
      clearTimeout(timer);
      await this.flush(conversationId);
    }
  }
}
