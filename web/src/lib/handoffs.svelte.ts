import type { ConversationSummary, Event, Handoff } from '$schemas';
import { activeHandoff, applyHandoff, listedHandoffs } from './handoffs';
import { errorText, type Session, type SessionListener } from './session.svelte';

/** Conversations handed to a human colleague, as far as this tab has heard. */
export class Handoffs implements SessionListener {
  book = $state<Record<string, Handoff>>({});
  /** Conversations with a request or release on its way. */
  busy = $state<Record<string, true>>({});
  /** Why the last request or release failed, by conversation. */
  refusals = $state<Record<string, string>>({});

  readonly #session: Session;

  constructor(session: Session) {
    this.#session = session;
  }

  active(conversationId: string | null): Handoff | undefined {
    return conversationId ? activeHandoff(this.book, conversationId) : undefined;
  }

  /** After each `conv.list`: the server's word on which conversations are handed off. */
  listed(list: readonly ConversationSummary[]): void {
    this.book = listedHandoffs(list);
  }

  event(event: Event): void {
    if (event.type === 'handoff') this.book = applyHandoff(this.book, event.handoff);
  }

  request(conversationId: string, reason: string): Promise<boolean> {
    const text = reason.trim();
    return this.#run(conversationId, () =>
      this.#session.request('handoff.request', { conversation_id: conversationId, ...(text ? { reason: text } : {}) }),
    );
  }

  release(conversationId: string): Promise<boolean> {
    return this.#run(conversationId, () => this.#session.request('handoff.release', { conversation_id: conversationId }));
  }

  async #run(conversationId: string, op: () => Promise<{ handoff: Handoff }>): Promise<boolean> {
    if (this.busy[conversationId]) return false;
    this.busy[conversationId] = true;
    delete this.refusals[conversationId];
    try {
      const { handoff } = await op();
      this.book = applyHandoff(this.book, handoff);
      return true;
    } catch (err) {
      this.refusals[conversationId] = errorText(err);
      return false;
    } finally {
      delete this.busy[conversationId];
    }
  }
}
