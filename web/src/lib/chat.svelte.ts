import { directConversationId, type ConversationSummary, type Event, type Message, type PublicProfile } from '$schemas';
import { applyMessage, directStub, recipientOf, sortConversations } from './conversations';
import { randomHex } from './ids';
import { MchatClient, MchatError, type ConnectionState } from './mchat-client';
import { parseMentions } from './mentions';
import { mergeMessages, seqGaps } from './messages';
import { upsertWorkflow, type WorkflowRun } from './workflows';

const PAGE = 50;
const MAX_PAGE = 200;

/** The state of the chat screen, kept in step with the gateway over one MchatClient. */
export class Chat {
  readonly me: PublicProfile;
  conversations = $state<ConversationSummary[]>([]);
  openId = $state<string | null>(null);
  connection = $state<ConnectionState>('connecting');
  /** The last thing that went wrong (or a system notice), until dismissed. */
  notice = $state<string | null>(null);
  profiles = $state<Record<string, PublicProfile>>({});

  #messages = $state<Record<string, Message[]>>({});
  #hasMore = $state<Record<string, boolean>>({});
  #workflows = $state<Record<string, WorkflowRun[]>>({});

  readonly open = $derived(this.conversations.find((c) => c.conversation_id === this.openId));
  readonly messages = $derived((this.openId && this.#messages[this.openId]) || []);
  readonly hasMore = $derived(this.openId ? (this.#hasMore[this.openId] ?? false) : false);
  readonly workflows = $derived((this.openId && this.#workflows[this.openId]) || []);

  #client: MchatClient | undefined;
  #asked = new Set<string>();
  // Kept until a send succeeds, so retrying a send that timed out cannot store it twice.
  #clientMsgId = randomHex(12);

  constructor(me: PublicProfile) {
    this.me = me;
    this.profiles[me.id] = me;
  }

  connect(url: string, token: string): void {
    this.#client = new MchatClient({
      url,
      employeeId: this.me.id,
      token,
      onEvent: (event) => this.#onEvent(event),
      onState: (state) => {
        this.connection = state;
        // Each (re)connection starts a clean session: catch up on what was published meanwhile.
        if (state === 'online') void this.#attempt(() => this.#catchUp());
      },
    });
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  nameOf(id: string): string {
    return this.profiles[id]?.name ?? id;
  }

  isAgent(id: string): boolean {
    return this.profiles[id]?.is_ai_agent ?? false;
  }

  async select(id: string): Promise<void> {
    this.openId = id;
    this.conversations = this.conversations.map((c) => (c.conversation_id === id && c.unread ? { ...c, unread: 0 } : c));
    if (!this.#messages[id]) await this.#attempt(() => this.#loadLatest(id));
  }

  async startDirect(peer: PublicProfile): Promise<void> {
    this.profiles[peer.id] = peer;
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
    await this.#attempt(async () => {
      const page = await this.#request('msg.history', { conversation_id: id, before_seq: first.seq, limit: PAGE });
      this.#merge(id, page.messages);
      this.#hasMore[id] = page.has_more;
    });
  }

  /** Sends `text` to the open conversation; resolves true once the gateway stored it. */
  async send(text: string): Promise<boolean> {
    const id = this.openId;
    if (!id || !text.trim()) return false;
    return this.#attempt(async () => {
      const body = { text, mentions: parseMentions(text) };
      const client_msg_id = this.#clientMsgId;
      if (!this.#client) throw new MchatError({ code: 'E_UNAVAILABLE', message: 'Not connected.' });
      // Retried through reconnects and restarts; the same id keeps it to one stored message.
      const sent = await this.#client.sendMessage(recipientOf(id, this.me.id), body, { clientMsgId: client_msg_id, giveUpAfterMs: 30_000 });
      this.#clientMsgId = randomHex(12);
      // Shown at once; the echo on our inbox or group topic merges into it by seq.
      this.#onMessage({ ...sent, from: this.me.id, kind: 'text', client_msg_id, body: { ...body, attachments: [] } });
      return true;
    }, false);
  }

  async search(q: string): Promise<PublicProfile[]> {
    return this.#attempt(async () => {
      const { employees } = await this.#request('employee.search', { q });
      for (const e of employees) this.profiles[e.id] = e;
      return employees.filter((e) => e.id !== this.me.id);
    }, []);
  }

  /** Fetches the profiles of senders we cannot name yet, once each. */
  learnProfiles(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.profiles[id] || this.#asked.has(id)) continue;
      this.#asked.add(id);
      void this.#request('employee.get', { id }).then(
        ({ employee }) => (this.profiles[id] = employee),
        () => {}, // an unknown sender keeps showing as its id
      );
    }
  }

  #request: MchatClient['request'] = (op, payload) => {
    if (!this.#client) return Promise.reject(new MchatError({ code: 'E_UNAVAILABLE', message: 'Not connected.' }));
    return this.#client.request(op, payload);
  };

  /** Runs `fn`, turning a failure into the notice the user sees and `fallback`. */
  async #attempt<T>(fn: () => Promise<T>, fallback?: T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.notice = err instanceof Error ? err.message : String(err);
      return fallback as T;
    }
  }

  async #catchUp(): Promise<void> {
    // Only the open conversation is brought up to date; the others reload when next opened.
    const open = this.openId;
    for (const id of Object.keys(this.#messages)) if (id !== open) delete this.#messages[id];
    const stale = open && this.#messages[open] ? open : null;
    await this.#refreshList();
    if (stale && stale === this.openId) await this.#loadLatest(stale);
  }

  async #refreshList(): Promise<void> {
    const { conversations } = await this.#request('conv.list', {});
    const known = new Set(conversations.map((c) => c.conversation_id));
    // Local stubs for chats without a first message yet are not on the server's list.
    const stubs = this.conversations.filter((c) => c.last_seq === 0 && !known.has(c.conversation_id));
    this.conversations = sortConversations(
      [...conversations, ...stubs].map((c) => (c.conversation_id === this.openId ? { ...c, unread: 0 } : c)),
    );
    await this.#client?.watchGroups(conversations.flatMap((c) => (c.group_id ? [c.group_id] : [])));
  }

  async #loadLatest(id: string): Promise<void> {
    const page = await this.#request('msg.history', { conversation_id: id, limit: PAGE });
    // After a reconnect the pages loaded before are kept: has_more then speaks of the gap to
    // them, which #fillGaps closes, not of history further back.
    const reload = (this.#messages[id]?.length ?? 0) > 0;
    this.#merge(id, page.messages);
    if (!reload) this.#hasMore[id] = page.has_more;
    await this.#fillGaps(id);
  }

  async #fillGaps(id: string): Promise<void> {
    for (const gap of seqGaps(this.#messages[id] ?? [])) {
      const limit = Math.min(MAX_PAGE, gap.to - gap.from + 1);
      const page = await this.#request('msg.history', { conversation_id: id, after_seq: gap.from - 1, limit });
      this.#merge(id, page.messages);
    }
  }

  #merge(id: string, messages: Message[]): void {
    this.#messages[id] = mergeMessages(this.#messages[id] ?? [], messages);
  }

  #onEvent(event: Event): void {
    switch (event.type) {
      case 'message':
        this.#onMessage(event.msg);
        break;
      case 'recall':
        this.#onRecall(event.conversation_id, event.msg_id);
        break;
      case 'workflow':
        this.#workflows[event.conversation_id] = upsertWorkflow(this.#workflows[event.conversation_id] ?? [], event, Date.now());
        break;
      case 'notify':
        this.notice = event.text;
        break;
      case 'receipt':
        break; // read receipts are not shown yet
    }
  }

  #onMessage(msg: Message): void {
    const id = msg.conversation_id;
    if (this.#messages[id]) {
      this.#merge(id, [msg]);
      void this.#attempt(() => this.#fillGaps(id));
    }
    const next = applyMessage(this.conversations, msg, { me: this.me.id, openId: this.openId });
    if (next) this.conversations = next;
    else void this.#attempt(() => this.#refreshList()); // someone started a conversation with us
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
