import type { Event } from '$schemas';

/** What a browser notification says: its title, its text, and the conversation it opens. */
export interface Alert {
  title: string;
  body: string;
  conversationId: string;
  tag: string;
}

/**
 * The notification an event is worth while the tab is hidden: a new message from someone else in
 * a conversation that is not muted, or an approval task waiting for `me`. Anything else is none.
 */
export function alertFor(
  event: Event,
  me: string,
  muted: (conversationId: string) => boolean,
  nameOf: (id: string) => string,
): Omit<Alert, 'title'> & { from: string } | null {
  if (event.type === 'message') {
    const msg = event.msg;
    if (msg.from === me || msg.recalled || muted(msg.conversation_id)) return null;
    return { from: nameOf(msg.from), body: msg.body.text ?? '', conversationId: msg.conversation_id, tag: msg.msg_id };
  }
  if (event.type === 'task' && event.task.state === 'pending' && event.task.approver_id === me) {
    return { from: nameOf(event.task.requested_by), body: event.task.summary, conversationId: event.task.conversation_id, tag: event.task.task_id };
  }
  return null;
}

const MUTED = 'mchat.muted';

/** The conversations whose new messages do not notify, remembered in the browser. */
export class Mutes {
  readonly #store: Storage;

  constructor(store: Storage) {
    this.#store = store;
  }

  #all(): string[] {
    try {
      const list: unknown = JSON.parse(this.#store.getItem(MUTED) ?? '[]');
      return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  has(conversationId: string): boolean {
    return this.#all().includes(conversationId);
  }

  set(conversationId: string, muted: boolean): void {
    const rest = this.#all().filter((id) => id !== conversationId);
    this.#store.setItem(MUTED, JSON.stringify(muted ? [...rest, conversationId] : rest));
  }
}
