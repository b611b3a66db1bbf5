import type { Message } from '../schemas/index.js';

interface Track {
  /** Every message up to here has been delivered (or was already known): where catch-up resumes. */
  cursor: number;
  /** Arrived after a hole in the seqs: waits until the hole is filled. */
  held: Map<number, Message>;
  /** Met during a catch-up that will bring this conversation from its start (see beginSync). */
  provisional: boolean;
}

export interface Gap {
  conversation_id: string;
  /** The last seq delivered in order. */
  after_seq: number;
  /** The first seq held after the hole. */
  next_seq: number;
}

/**
 * The catch-up bookkeeping of one client, conversation by conversation: each message is let
 * through once, in seq order, whether it came live, from the broker's session or from a
 * `msg.sync` page. The gateway numbers each conversation 1, 2, 3… without holes, so a message
 * after a hole waits for the hole to be filled. No I/O here: catchup.ts asks the gateway.
 */
export class Sequencer {
  readonly #tracks = new Map<string, Track>();
  #syncing = false;

  /**
   * A catch-up starts: until `endSync`, a message of a conversation we know nothing of waits,
   * since the catch-up brings such a conversation from its start.
   */
  beginSync(): void {
    this.#syncing = true;
  }

  /** The catch-up is over: conversations it did not bring start at the first message held. */
  endSync(): Message[] {
    this.#syncing = false;
    const released: Message[] = [];
    for (const track of this.#tracks.values()) {
      if (!track.provisional) continue;
      track.provisional = false;
      if (track.held.size) track.cursor = Math.max(track.cursor, Math.min(...track.held.keys()) - 1);
      released.push(...release(track));
    }
    return released;
  }

  /**
   * A message as it arrives; answers the messages now deliverable, in order (none for a message
   * seen before or waiting behind a hole). `fromSync`: it came in a catch-up page.
   */
  accept(msg: Message, fromSync = false): Message[] {
    let track = this.#tracks.get(msg.conversation_id);
    if (!track) {
      // Outside a catch-up, a conversation new to us starts with the first message we meet:
      // what came before it is history (msg.history), not something we missed.
      track = { cursor: this.#syncing ? 0 : msg.seq - 1, held: new Map(), provisional: this.#syncing && !fromSync };
      this.#tracks.set(msg.conversation_id, track);
    } else if (fromSync) {
      track.provisional = false;
    }
    if (msg.seq <= track.cursor || track.held.has(msg.seq)) return [];
    track.held.set(msg.seq, msg);
    return release(track);
  }

  /**
   * The conversation is known up to `seq` already (from `conv.list`): nothing up to it is
   * delivered, and the catch-up after a reconnect starts there.
   */
  seed(conversationId: string, seq: number): Message[] {
    const track = this.#tracks.get(conversationId);
    if (!track) {
      this.#tracks.set(conversationId, { cursor: seq, held: new Map(), provisional: false });
      return [];
    }
    track.provisional = false;
    if (seq > track.cursor) track.cursor = seq;
    for (const s of track.held.keys()) if (s <= track.cursor) track.held.delete(s);
    return release(track);
  }

  /** Gives up waiting for a hole that will not fill: delivers what waited behind it. */
  skipHole(conversationId: string): Message[] {
    const track = this.#tracks.get(conversationId);
    if (!track?.held.size) return [];
    track.cursor = Math.min(...track.held.keys()) - 1;
    return release(track);
  }

  /** Where a `msg.sync` should resume: the newest seq we have of each conversation. */
  cursors(): Record<string, number> {
    const cursors: Record<string, number> = {};
    for (const [id, track] of this.#tracks) {
      if (!track.provisional) cursors[id] = Math.max(track.cursor, ...track.held.keys());
    }
    return cursors;
  }

  /** The holes messages wait behind, outside a catch-up (which fills them itself). */
  gaps(): Gap[] {
    if (this.#syncing) return [];
    return [...this.#tracks].flatMap(([conversation_id, t]) =>
      t.held.size && !t.provisional ? [{ conversation_id, after_seq: t.cursor, next_seq: Math.min(...t.held.keys()) }] : [],
    );
  }
}

function release(track: Track): Message[] {
  const out: Message[] = [];
  for (let next = track.held.get(track.cursor + 1); next; next = track.held.get(track.cursor + 1)) {
    track.held.delete(next.seq);
    track.cursor = next.seq;
    out.push(next);
  }
  return out;
}
