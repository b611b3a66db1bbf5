import { ulid } from 'ulid';
import type { Message, MessageBody } from '../schemas/index.js';
import type { Models } from './db.js';

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

const DUPLICATE_KEY = 11000;
const MAX_ATTEMPTS = 20;

function isDuplicate(err: unknown): err is { code: number; keyPattern?: Record<string, unknown>; message: string } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY;
}

/**
 * Stores a message with the next sequence number of its conversation, exactly once per
 * sender + client_msg_id. The sequence comes from the unique (conversation_id, seq) index, not from
 * a separate counter, so a crash between two writes can never leave a gap: a seq exists only
 * when its message does. Writers in one process are serialised per conversation; writers in other
 * processes collide on the index and retry with the new tail.
 */
export class MessageStore {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly m: Models) {}

  store(input: NewMessage): Promise<Stored> {
    const prev = this.tails.get(input.conversation_id) ?? Promise.resolve();
    const next = prev.then(() => this.write(input), () => this.write(input));
    const tail = next.catch(() => undefined);
    this.tails.set(input.conversation_id, tail);
    void tail.then(() => {
      if (this.tails.get(input.conversation_id) === tail) this.tails.delete(input.conversation_id);
    });
    return next;
  }

  private async write(input: NewMessage): Promise<Stored> {
    const existing = await this.findRetry(input);
    if (existing) return { message: existing, created: false };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const last = await this.m.Message.findOne({ conversation_id: input.conversation_id }, { seq: 1 })
        .sort({ seq: -1 })
        .lean();
      const message: Message = {
        msg_id: ulid(),
        conversation_id: input.conversation_id,
        seq: (last?.seq ?? 0) + 1,
        from: input.from,
        ts: Date.now(),
        kind: input.kind,
        body: input.body,
        client_msg_id: input.client_msg_id,
        ...(input.workflow_id ? { workflow_id: input.workflow_id } : {}),
      };
      try {
        await this.m.Message.create(message);
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        const retried = await this.findRetry(input);
        if (retried) return { message: retried, created: false };
        continue; // another process took this seq
      }
      await this.m.Conversation.updateOne(
        { conversation_id: input.conversation_id },
        { $max: { last_seq: message.seq, last_ts: message.ts }, $addToSet: { members: { $each: input.members } } },
        { upsert: true },
      );
      return { message, created: true };
    }
    throw new Error(`could not assign a sequence number in ${input.conversation_id} after ${MAX_ATTEMPTS} attempts`);
  }

  private findRetry(input: NewMessage): Promise<Message | null> {
    return this.m.Message.findOne({ from: input.from, client_msg_id: input.client_msg_id }, { _id: 0 }).lean<Message>();
  }
}
