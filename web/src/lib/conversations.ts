import {
  directConversationId,
  parseConversationId,
  type ConversationSummary,
  type Message,
  type PublicProfile,
  type Recipient,
} from '../../../schemas/index.js';

/** Most recent activity first; conversations without messages last, by title. */
export function sortConversations(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list].sort(
    (a, b) => (b.last_message?.ts ?? 0) - (a.last_message?.ts ?? 0) || a.title.localeCompare(b.title),
  );
}

/**
 * The list after `msg` arrived, or undefined when its conversation is not in the list (a new
 * chat: ask the server for the list again). Unread counts only grow for messages newer than
 * the last one known, from someone else, in a conversation that is not open.
 */
export function applyMessage(
  list: readonly ConversationSummary[],
  msg: Message,
  ctx: { me: string; openId: string | null },
): ConversationSummary[] | undefined {
  const conv = list.find((c) => c.conversation_id === msg.conversation_id);
  if (!conv) return undefined;
  if (msg.seq <= conv.last_seq) {
    return list.map((c) => (c === conv && c.last_message?.seq === msg.seq ? { ...c, last_message: msg } : c));
  }
  const counts = msg.from !== ctx.me && msg.conversation_id !== ctx.openId;
  const updated = { ...conv, last_message: msg, last_seq: msg.seq, unread: (conv.unread ?? 0) + (counts ? 1 : 0) };
  return sortConversations(list.map((c) => (c === conv ? updated : c)));
}

/** A direct conversation with `peer` as the list shows it before its first message. */
export function directStub(me: string, peer: PublicProfile): ConversationSummary {
  return {
    conversation_id: directConversationId(me, peer.id),
    kind: 'direct',
    title: peer.name,
    peer_id: peer.id,
    last_seq: 0,
    unread: 0,
  };
}

/**
 * A chat between two others that was handed over to `me` (a hand-off): the gateway lets the
 * colleague who took over read and write in it, but `conv.list` lists only one's own chats.
 */
export function handedOverStub(conversationId: string, nameOf: (id: string) => string): ConversationSummary | undefined {
  const ref = parseConversationId(conversationId);
  if (ref?.kind !== 'direct') return undefined;
  const [a, b] = ref.members;
  return { conversation_id: conversationId, kind: 'direct', title: `${nameOf(a)} · ${nameOf(b)}`, last_seq: 0, unread: 0 };
}

/** Whether `me` is one of a direct chat's two members (false for a group). */
export function isMember(conversationId: string, me: string): boolean {
  const ref = parseConversationId(conversationId);
  return ref?.kind === 'direct' && ref.members.includes(me);
}

/** Where `msg.send` must address a message for this conversation. */
export function recipientOf(conversationId: string, me: string): Recipient {
  const ref = parseConversationId(conversationId);
  if (!ref) throw new Error(`not a conversation id: ${conversationId}`);
  if (ref.kind === 'group') return { group: ref.groupId };
  const [a, b] = ref.members;
  // A colleague who took over someone else's chat (a hand-off) writes into it, not to either member.
  if (a !== me && b !== me) return { conversation: conversationId };
  return { direct: a === me ? b : a };
}
