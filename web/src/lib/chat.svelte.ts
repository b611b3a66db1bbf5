import { directConversationId, type ConversationSummary, type Event, type Message, type PublicProfile } from '$schemas';
import { applyMessage, directStub, recipientOf, sortConversations } from './conversations';
import type { Directory } from './directory.svelte';
import type { Handoffs } from './handoffs.svelte';
import { randomHex } from './ids';
import { parseMentions } from './mentions';
import { mergeMessages } from './messages';
import type { Session, SessionListener } from './session.svelte';

const PAGE = 50;

/** The conversations and their messages, kept in step with the gateway over the session. */
export class Chat implements SessionListener {
  readonly me: PublicProfile;
  conversations = $state<ConversationSummary[]>([]);
  openId = $state<string | null>(null);
  /** The message the next send replies to, if any. */
  quoting = $state<Message | null>(null);

  #messages = $state<Record<string, Message[]>>({});
  #hasMore = $state<Record<string, boolean>>({});

  readonly open = $derived(this.conversations.find((c) => c.conversation_id === this.openId));
  readonly messages = $derived((this.openId && this.#messages[this.openId]) || []);
  readonly hasMore = $derived(this.openId ? (this.#hasMore[this.openId] ?? false) : false);

  readonly #session: Session;
  readonly #directory: Directory;
  readonly #handoffs: Handoffs;
  // Kept until a send succeeds, so retrying a send that timed out cannot store it twice.
  #clientMsgId = randomHex(12);

  constructor(session: Session, directory: Directory, handoffs: Handoffs) {
    this.#session = session;
    this.#directory = directory;
    this.#handoffs = handoffs;
    this.me = session.me;
  }

  async select(id: string): Promise<void> {
    this.openId = id;
    this.conversations = this.conversations.map((c) => (c.conversation_id === id && c.unread ? { ...c, unread: 0 } : c));
    if (!this.#messages[id]) await this.#session.attempt(() => this.#loadLatest(id));
  }

  async startDirect(peer: PublicProfile): Promise<void> {
    this.#directory.remember(peer);
    const id = directConversationId(this.me.id, peer.id);
    if (!this.conversations.some((c) => c.conversation_id === id)) {
      this.conversations = [directStub(this.me.id, peer), ...this.conversations];
    }
    await this.select(id);
  }

  async loadEarlier(): Promise<void> {
    const id = this.openId;
    const first = id && this.#messages[id]?.[0];
    if (!id || !first) return;
    await this.#session.attempt(async () => {
      const page = await this.#session.request('msg.history', { conversation_id: id, before_seq: first.seq, limit: PAGE });
      this.#merge(id, page.messages);
      this.#hasMore[id] = page.has_more;
    });
  }

  quote(m: Message): void {
    this.quoting = m;
  }

  cancelQuote(): void {
    this.quoting = null;
  }

  /**
   * Sends `text` to the open conversation (replying to `quoting`, mentioning `mentions` besides
   * the `@id`s written in it); resolves true once the gateway stored it.
   */
  async send(text: string, mentions: string[] = []): Promise<boolean> {
    const id = this.openId;
    if (!id || !text.trim()) return false;
    const quote = this.quoting?.conversation_id === id ? this.quoting.msg_id : undefined;
    return this.#session.attempt(async () => {
      const body = { text, mentions: [...parseMentions(text), ...mentions].filter((m, i, all) => all.indexOf(m) === i), ...(quote ? { quote_msg_id: quote } : {}) };
      const client_msg_id = this.#clientMsgId;
      // Retried through reconnects and restarts; the same id keeps it to one stored message.
      const sent = await this.#session.send(recipientOf(id, this.me.id), body, { clientMsgId: client_msg_id, giveUpAfterMs: 30_000 });
      this.#clientMsgId = randomHex(12);
      if (quote && this.quoting?.msg_id === quote) this.quoting = null;
      // Shown at once; the echo on our inbox or group topic merges into it by seq.
      this.#onMessage({ ...sent, from: this.me.id, kind: 'text', client_msg_id, body: { ...body, attachments: [] } });
      return true;
    }, false);
  }

  async search(q: string): Promise<PublicProfile[]> {
    return this.#session.attempt(async () => {
      const { employees } = await this.#session.request('employee.search', { q });
      for (const e of employees) this.#directory.remember(e);
      return employees.filter((e) => e.id !== this.me.id);
    }, []);
  }

  async online(): Promise<void> {
    // What was missed while away came as messages already (the SDK's catch-up); the list's
    // unread counts and hand-offs may have moved on other devices.
    await this.#refreshList();
  }

  async #refreshList(): Promise<void> {
    const { conversations } = await this.#session.request('conv.list', {});
    this.#handoffs.listed(conversations);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup for this call, nothing renders it
    const known = new Set(conversations.map((c) => c.conversation_id));
    // Local stubs for chats without a first message yet are not on the server's list.
    const stubs = this.conversations.filter((c) => c.last_seq === 0 && !known.has(c.conversation_id));
    this.conversations = sortConversations(
      [...conversations, ...stubs].map((c) => (c.conversation_id === this.openId ? { ...c, unread: 0 } : c)),
    );
  }

  async #loadLatest(id: string): Promise<void> {
    const page = await this.#session.request('msg.history', { conversation_id: id, limit: PAGE });
    this.#merge(id, page.messages);
    this.#hasMore[id] = page.has_more;
  }

  #merge(id: string, messages: Message[]): void {
    this.#messages[id] = mergeMessages(this.#messages[id] ?? [], messages);
  }

  event(event: Event): void {
    switch (event.type) {
      case 'message':
        this.#onMessage(event.msg);
        break;
      case 'recall':
        this.#onRecall(event.conversation_id, event.msg_id);
        break;
      case 'notify':
        this.#session.notice = event.text;
        break;
      // Receipts are not shown yet; workflows, tasks and hand-offs have stores of their own.
    }
  }

  #onMessage(msg: Message): void {
    const id = msg.conversation_id;
    // The SDK hands each message over once and in seq order, so a loaded conversation has no holes.
    if (this.#messages[id]) this.#merge(id, [msg]);
    const next = applyMessage(this.conversations, msg, { me: this.me.id, openId: this.openId });
    if (next) this.conversations = next;
    else void this.#session.attempt(() => this.#refreshList()); // someone started a conversation with us
  }

  #onRecall(conversationId: string, msgId: string): void {
    const recall = (m: Message) => (m.msg_id === msgId ? { ...m, recalled: true } : m);
    const loaded = this.#messages[conversationId];
    if (loaded) this.#messages[conversationId] = loaded.map(recall);
    this.conversations = this.conversations.map((c) =>
      c.conversation_id === conversationId && c.last_message ? { ...c, last_message: recall(c.last_message) } : c,
    );
  }
}
