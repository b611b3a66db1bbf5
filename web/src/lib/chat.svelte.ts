import { directConversationId, type ConversationSummary, type Event, type Attachment, type Group, type Message, type Presence, type PublicProfile } from '$schemas';
import { applyMessage, directStub, handedOverStub, isMember, recipientOf, sortConversations } from './conversations';
import type { Directory } from './directory.svelte';
import type { Handoffs } from './handoffs.svelte';
import { randomHex } from './ids';
import { parseMentions } from './mentions';
import { mergeMessages } from './messages';
import { newestSeq } from './read-state';
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

  /** Each colleague's presence as `mchat/status/+` last said; unknown ones are not shown. */
  presence = $state<Record<string, Presence['state']>>({});
  /** Direct chats: how far the peer has read. Groups: each aggregate receipt's seq → read_count. */
  peerRead = $state<Record<string, number>>({});
  groupReads = $state<Record<string, Record<number, number>>>({});
  // How far this employee is known to have read each conversation, so each seq is sent once.
  #readSent: Record<string, number> = {};

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
    if (id !== this.openId) this.quoting = null;
    this.openId = id;
    this.conversations = this.conversations.map((c) => (c.conversation_id === id && c.unread ? { ...c, unread: 0 } : c));
    if (!this.#messages[id]) await this.#session.attempt(() => this.#loadLatest(id));
    this.markSeen();
  }

  quote(msg: Message): void {
    this.quoting = msg;
  }

  cancelQuote(): void {
    this.quoting = null;
  }

  /**
   * Tells the gateway the open conversation was seen up to its newest message, so the unread
   * count stays right on reload and on other devices. Only while the page is in sight.
   */
  markSeen(): void {
    const id = this.openId;
    if (!id || (typeof document !== 'undefined' && document.visibilityState !== 'visible')) return;
    const seq = newestSeq(this.#messages[id] ?? []);
    if (seq <= (this.#readSent[id] ?? 0)) return;
    this.#readSent[id] = seq;
    void this.#session.request('msg.read', { conversation_id: id, seq }).catch(() => {
      delete this.#readSent[id]; // tried again with the next message or visit
    });
  }

  /** Recalls one of our own messages; everyone sees it recalled through the recall event. */
  async recall(msg: Message): Promise<void> {
    await this.#session.attempt(async () => {
      await this.#session.request('msg.recall', { msg_id: msg.msg_id });
      this.#onRecall(msg.conversation_id, msg.msg_id);
    });
  }

  /** Who has read `msg` (a group's reader list), or undefined when it could not be asked. */
  async readers(msg: Message): Promise<string[] | undefined> {
    return this.#session.attempt(async () => {
      const r = await this.#session.request('msg.readers', { conversation_id: msg.conversation_id, seq: msg.seq });
      return r.readers;
    }, undefined);
  }

  /** Creates a group with us as its owner and opens it. */
  async createGroup(name: string, members: string[]): Promise<Group | undefined> {
    return this.#session.attempt(async () => {
      const { group } = await this.#session.request('group.create', { name, members });
      await this.#refreshList();
      const id = `g:${group.id}`;
      if (!this.conversations.some((c) => c.conversation_id === id)) {
        this.conversations = [{ conversation_id: id, kind: 'group', title: group.name, group_id: group.id, last_seq: 0, unread: 0 }, ...this.conversations];
      }
      await this.select(id);
      return group;
    }, undefined);
  }

  /** A group we are no longer in: off the list, and closed if it was open. */
  forget(conversationId: string): void {
    this.conversations = this.conversations.filter((c) => c.conversation_id !== conversationId);
    if (this.openId === conversationId) this.openId = null;
  }

  presenceChanged(employeeId: string, presence: Presence): void {
    this.presence[employeeId] = presence.state;
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

  /**
   * Sends `text` and uploaded `attachments` to the open conversation (replying to `quoting`,
   * mentioning `mentions` besides the `@id`s written in it); resolves true once the gateway stored it.
   */
  async send(text: string, mentions: string[] = [], attachments: Attachment[] = []): Promise<boolean> {
    const id = this.openId;
    if (!id || (!text.trim() && attachments.length === 0)) return false;
    const quote = this.quoting?.conversation_id === id ? this.quoting.msg_id : undefined;
    return this.#session.attempt(async () => {
      const body = {
        ...(text.trim() ? { text } : {}),
        mentions: [...parseMentions(text), ...mentions].filter((m, i, all) => all.indexOf(m) === i),
        attachments,
        ...(quote ? { quote_msg_id: quote } : {}),
      };
      const client_msg_id = this.#clientMsgId;
      // Retried through reconnects and restarts; the same id keeps it to one stored message.
      const sent = await this.#session.send(recipientOf(id, this.me.id), body, { clientMsgId: client_msg_id, giveUpAfterMs: 30_000 });
      this.#clientMsgId = randomHex(12);
      if (quote && this.quoting?.msg_id === quote) this.quoting = null;
      // Shown at once, unless the echo on our inbox or group topic came first: it carries what the
      // gateway added (signed file links), so this copy must not replace it.
      if (!this.#messages[id]?.some((m) => m.seq === sent.seq)) this.#onMessage({ ...sent, from: this.me.id, kind: 'text', client_msg_id, body });
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
    this.#listed = true;
    const wanted = this.#wanted;
    this.#wanted = null;
    if (wanted) await this.reopen(wanted);
  }

  #listed = false;
  #wanted: string | null = null;
  /** Opens `conversationId` if it is on the list, now or once the list is in (what a reloaded page had open). */
  async reopen(conversationId: string): Promise<void> {
    if (!this.#listed) this.#wanted = conversationId;
    else if (!this.openId && this.conversations.some((c) => c.conversation_id === conversationId)) await this.select(conversationId);
  }

  /** Reads the list again (after a change to a group, say). */
  refresh(): Promise<void> {
    return this.#session.attempt(() => this.#refreshList());
  }

  async #refreshList(): Promise<void> {
    const { conversations } = await this.#session.request('conv.list', {});
    this.#handoffs.listed(conversations);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup for this call, nothing renders it
    const known = new Set(conversations.map((c) => c.conversation_id));
    // Local stubs for chats without a first message yet are not on the server's list.
    const stubs = this.conversations.filter((c) => (c.last_seq === 0 || this.#handed.has(c.conversation_id)) && !known.has(c.conversation_id));
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
      case 'receipt':
        if (event.reader && event.reader !== this.me.id) this.peerRead[event.conversation_id] = Math.max(this.peerRead[event.conversation_id] ?? 0, event.seq);
        if (event.read_count !== undefined) this.groupReads[event.conversation_id] = { ...this.groupReads[event.conversation_id], [event.seq]: event.read_count };
        break;
      case 'notify':
        this.#onNotify(event);
        break;
      case 'handoff':
        if (event.handoff.human_id !== this.me.id) break;
        if (event.handoff.state === 'active') this.#handedOver(event.handoff.conversation_id);
        else {
          // Released: the chat is its members' again, and out of my reach.
          this.#handed.delete(event.handoff.conversation_id);
          this.forget(event.handoff.conversation_id);
        }
        break;
      // Workflows, tasks and hand-offs have stores of their own.
    }
  }

  #onNotify(event: Extract<Event, { type: 'notify' }>): void {
    const conversationId = (event.data as { conversation_id?: unknown } | undefined)?.conversation_id;
    // Joining and leaving show in the list itself; the gateway's wording of them is English only.
    if (event.kind === 'group_left' && typeof conversationId === 'string') return this.forget(conversationId);
    if (event.kind === 'group_joined') return void this.#session.attempt(() => this.#refreshList());
    this.#session.notice = event.text;
  }

  /** Chats of others handed over to me, kept on the list although `conv.list` leaves them out. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup for the list's upkeep; nothing renders it
  readonly #handed = new Set<string>();

  #handedOver(conversationId: string): void {
    this.#handed.add(conversationId);
    if (this.conversations.some((c) => c.conversation_id === conversationId)) return;
    const stub = handedOverStub(conversationId, (id) => this.#directory.nameOf(id));
    if (stub) this.conversations = [stub, ...this.conversations];
  }

  #onMessage(msg: Message): void {
    const id = msg.conversation_id;
    // Only a hand-off brings me messages of a direct chat I am not in (also after a reload).
    if (id.startsWith('d:') && !isMember(id, this.me.id)) this.#handedOver(id);
    // The SDK hands each message over once and in seq order, so a loaded conversation has no holes.
    if (this.#messages[id]) this.#merge(id, [msg]);
    const next = applyMessage(this.conversations, msg, { me: this.me.id, openId: this.openId });
    if (next) this.conversations = next;
    else void this.#session.attempt(() => this.#refreshList()); // someone started a conversation with us
    if (id === this.openId) this.markSeen();
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
