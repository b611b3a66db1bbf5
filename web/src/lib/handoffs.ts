import type { ConversationSummary, Handoff } from '../../../schemas/index.js';

export type HandoffBook = Readonly<Record<string, Handoff>>;

/**
 * The latest hand-off of each conversation after one arrived (event or op answer). An older
 * hand-off arriving late — a release answered after a newer request — does not replace a newer one.
 */
export function applyHandoff(book: HandoffBook, handoff: Handoff): Record<string, Handoff> {
  const known = book[handoff.conversation_id];
  if (known && known.workflow_id !== handoff.workflow_id && known.since > handoff.since) return { ...book };
  return { ...book, [handoff.conversation_id]: handoff };
}

/**
 * The hand-offs as a fresh conversation list tells them: active ones only, so one released while
 * this tab was away is gone too. Events after the list update it as usual.
 */
export function listedHandoffs(list: readonly ConversationSummary[]): Record<string, Handoff> {
  return Object.fromEntries(list.flatMap((c) => (c.handoff ? [[c.conversation_id, c.handoff]] : [])));
}

/** The hand-off a conversation is under right now, if any. */
export function activeHandoff(book: HandoffBook, conversationId: string): Handoff | undefined {
  const h = book[conversationId];
  return h?.state === 'active' ? h : undefined;
}

/** The human who took it over, or the person it is about, may give it back to the agents. */
export function mayRelease(handoff: Handoff, me: string): boolean {
  return me === handoff.human_id || me === handoff.asker_id;
}

/** Asking for a human makes sense in a direct chat with an agent that is not already handed off. */
export function mayRequestHandoff(conversation: ConversationSummary | undefined, isAgent: (id: string) => boolean, book: HandoffBook): boolean {
  if (!conversation?.peer_id || !isAgent(conversation.peer_id)) return false;
  return !activeHandoff(book, conversation.conversation_id);
}
