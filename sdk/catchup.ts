import type { ConversationSummary, Message } from '../schemas/index.js';
import { MchatError } from './errors.js';
import type { Requests } from './requests.js';
import { Sequencer } from './sequencer.js';

export type MessageSource = 'live' | 'catch-up';

export interface CatchUpOptions {
  /** Messages per `msg.sync` page (default 500, at most 1,000). */
  syncLimit?: number;
  /** How long a message behind a hole waits for it to fill by itself before `msg.history` is asked (default 500 ms). */
  gapWaitMs?: number;
  /**
   * How long a hole may stay open before what waits behind it is delivered anyway (default 20 s):
   * longer than the gateway takes to fill the seq of a writer that died (about 15 s).
   */
  holeGiveUpMs?: number;
}

export interface CatchUpHooks {
  deliver(messages: Message[], source: MessageSource): void;
  /** The conversations `conv.list` answered when the cursors were seeded. */
  seeded(conversations: ConversationSummary[]): void;
  failed(error: MchatError): void;
}

const HISTORY_PAGE = 200;

/**
 * Nothing missed, nothing twice: the first connection seeds each conversation's cursor from
 * `conv.list`; every reconnect then pages `msg.sync` from those cursors while live messages keep
 * arriving; a hole left in a conversation is filled from `msg.history`.
 */
export class CatchUp {
  readonly sequencer = new Sequencer();
  readonly #requests: Requests;
  readonly #hooks: CatchUpHooks;
  readonly #syncLimit: number;
  readonly #gapWaitMs: number;
  readonly #holeGiveUpMs: number;
  #seeded = false;
  #run: Promise<void> = Promise.resolve();
  #gapTimer: ReturnType<typeof setTimeout> | undefined;
  #gapTries = 0;
  /** When each open hole was first seen, by conversation. */
  readonly #holesSince = new Map<string, number>();

  constructor(requests: Requests, hooks: CatchUpHooks, opts: CatchUpOptions = {}) {
    this.#requests = requests;
    this.#hooks = hooks;
    this.#syncLimit = opts.syncLimit ?? 500;
    this.#gapWaitMs = opts.gapWaitMs ?? 500;
    this.#holeGiveUpMs = opts.holeGiveUpMs ?? 20_000;
  }

  /** A message that came live (or from the broker's session). */
  receive(msg: Message): void {
    this.#deliver(this.sequencer.accept(msg), 'live');
    this.#watchGaps();
  }

  /** After every connect, one at a time; resolves when it is done (or has failed, which `failed` hears of). */
  afterConnect(): Promise<void> {
    this.#run = this.#run.then(() => this.#catchUp());
    return this.#run;
  }

  stop(): void {
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
  }

  async #catchUp(): Promise<void> {
    this.sequencer.beginSync();
    try {
      if (this.#seeded) await this.#sync();
      else await this.#seed();
    } catch (err) {
      this.#hooks.failed(err instanceof MchatError ? err : new MchatError({ code: 'E_INTERNAL', message: String(err) }));
    } finally {
      this.#deliver(this.sequencer.endSync(), 'live');
      this.#watchGaps();
    }
  }

  async #seed(): Promise<void> {
    const { conversations } = await this.#requests.request('conv.list', {});
    for (const c of conversations) this.#deliver(this.sequencer.seed(c.conversation_id, c.last_seq), 'live');
    this.#seeded = true;
    this.#hooks.seeded(conversations);
  }

  async #sync(): Promise<void> {
    for (;;) {
      const cursors = this.sequencer.cursors();
      const page = await this.#requests.request('msg.sync', { cursors, limit: this.#syncLimit });
      this.#deliver(page.messages.flatMap((m) => this.sequencer.accept(m, true)), 'catch-up');
      // A page that moved no cursor would only be asked for again.
      if (!page.has_more || JSON.stringify(this.sequencer.cursors()) === JSON.stringify(cursors)) return;
    }
  }

  #watchGaps(): void {
    const gaps = this.sequencer.gaps();
    const open = new Set(gaps.map((g) => g.conversation_id));
    for (const id of this.#holesSince.keys()) if (!open.has(id)) this.#holesSince.delete(id);
    if (!gaps.length) {
      this.#gapTries = 0;
      return;
    }
    for (const g of gaps) if (!this.#holesSince.has(g.conversation_id)) this.#holesSince.set(g.conversation_id, Date.now());
    if (this.#gapTimer) return;
    const wait = Math.min(this.#gapWaitMs * 2 ** this.#gapTries++, this.#holeGiveUpMs / 4);
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      void this.#fillGaps().finally(() => this.#watchGaps());
    }, wait);
  }

  async #fillGaps(): Promise<void> {
    for (const gap of this.sequencer.gaps()) {
      const limit = Math.min(HISTORY_PAGE, gap.next_seq - gap.after_seq - 1);
      try {
        const page = await this.#requests.request('msg.history', { conversation_id: gap.conversation_id, after_seq: gap.after_seq, limit });
        this.#deliver(page.messages.flatMap((m) => this.sequencer.accept(m)), 'catch-up');
      } catch (err) {
        if (err instanceof MchatError) this.#hooks.failed(err);
      }
      const since = this.#holesSince.get(gap.conversation_id) ?? Date.now();
      if (Date.now() - since >= this.#holeGiveUpMs) this.#deliver(this.sequencer.skipHole(gap.conversation_id), 'catch-up');
    }
  }

  #deliver(messages: Message[], source: MessageSource): void {
    if (messages.length) this.#hooks.deliver(messages, source);
  }
}
