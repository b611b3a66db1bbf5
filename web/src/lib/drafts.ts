import { z } from 'zod';
import { Attachment } from '../../../schemas/index.js';

/** A message written while offline, sent when the connection is back. */
export interface Queued {
  text: string;
  mentions: string[];
  /** Files already uploaded, sent with the text. */
  attachments?: Attachment[];
}

const Attachments = z.array(Attachment);

const draftKey = (conversationId: string) => `mchat.draft.${conversationId}`;
const queueKey = (conversationId: string) => `mchat.outbox.${conversationId}`;

/**
 * What is typed and what waits to be sent, per conversation, in the tab's session storage: it
 * survives a lost connection and a reload, and is gone with the tab.
 */
export class Drafts {
  readonly #store: Storage;

  constructor(store: Storage) {
    this.#store = store;
  }

  draft(conversationId: string): string {
    return this.#store.getItem(draftKey(conversationId)) ?? '';
  }

  keepDraft(conversationId: string, text: string): void {
    if (text) this.#store.setItem(draftKey(conversationId), text);
    else this.#store.removeItem(draftKey(conversationId));
  }

  queued(conversationId: string): Queued[] {
    try {
      const parsed: unknown = JSON.parse(this.#store.getItem(queueKey(conversationId)) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter(isQueued) : [];
    } catch {
      return []; // a damaged entry is dropped rather than breaking the composer
    }
  }

  keepQueue(conversationId: string, queue: Queued[]): void {
    if (queue.length) this.#store.setItem(queueKey(conversationId), JSON.stringify(queue));
    else this.#store.removeItem(queueKey(conversationId));
  }
}

function isQueued(v: unknown): v is Queued {
  const q = v as Queued;
  return typeof q === 'object' && q !== null && typeof q.text === 'string' && Array.isArray(q.mentions) && (q.attachments === undefined || Attachments.safeParse(q.attachments).success);
}
