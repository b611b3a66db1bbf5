import {
  conversationTopics, directConversationId, groupConversationId, parseConversationId, topics, type Employee, type Group, type GroupTopic, type InboxTopic,
} from '../../schemas/index.js';
import type { Models } from '../../store/db.js';
import { orgCache } from '../../store/org-cache.js';
import type { Caller } from '../caller.js';
import { OpError } from '../errors.js';

export type Access =
  | { kind: 'direct'; conversation_id: string; members: [string, string]; peer: Employee }
  | { kind: 'group'; conversation_id: string; group: Group };

/**
 * The conversation `caller` may write to and read from, or an OpError saying why not. Peers and
 * groups come from a short-lived cache (store/org-cache.ts): this runs for every message.
 */
export async function directAccess(m: Models, caller: Caller, peerId: string, field: string): Promise<Access> {
  if (peerId === caller.id) throw new OpError('E_SCHEMA', 'cannot send a direct message to yourself', field);
  const peer = await orgCache(m).employee(peerId);
  if (!peer) throw new OpError('E_NOT_FOUND', `no employee "${peerId}"`, field);
  if (peer.status !== 'active') throw new OpError('E_FORBIDDEN', `employee "${peerId}" is disabled`, field);
  const conversation_id = directConversationId(caller.id, peerId);
  const members = [caller.id, peerId].sort() as [string, string];
  return { kind: 'direct', conversation_id, members, peer };
}

export async function groupAccess(m: Models, caller: Caller, groupId: string, field: string): Promise<Access> {
  const group = await orgCache(m).group(groupId);
  if (!group || group.dissolved) throw new OpError('E_NOT_FOUND', `no group "${groupId}"`, field);
  const conversation_id = groupConversationId(groupId);
  if (!group.members.includes(caller.id) && !(await takenOverBy(m, conversation_id, caller.id))) {
    throw new OpError('E_FORBIDDEN', `not a member of group "${groupId}"`, field);
  }
  return { kind: 'group', conversation_id, group };
}

/**
 * A member's conversation, or one handed off to the caller: the colleague who took it over reads
 * and writes in it while the hand-off is active. Looked up on every call (members never pay for
 * it), so a release takes the access away at once.
 */
export async function conversationAccess(m: Models, caller: Caller, conversationId: string, field: string): Promise<Access> {
  const ref = parseConversationId(conversationId);
  if (!ref) throw new OpError('E_SCHEMA', 'not a conversation id', field);
  if (ref.kind === 'group') return groupAccess(m, caller, ref.groupId, field);
  const [a, b] = ref.members;
  if (caller.id === a || caller.id === b) return directAccess(m, caller, caller.id === a ? b : a, field);
  if (!(await takenOverBy(m, conversationId, caller.id))) throw new OpError('E_FORBIDDEN', 'not a member of this conversation', field);
  // The colleague writes to the asker, so the asker (the member who is not an agent) is the peer.
  const members = [a, b].sort() as [string, string];
  const [first, second] = await Promise.all(members.map((id) => orgCache(m).employee(id)));
  const peer = first && !first.is_ai_agent ? first : second ?? first;
  if (!peer) throw new OpError('E_NOT_FOUND', 'no such conversation', field);
  return { kind: 'direct', conversation_id: conversationId, members, peer };
}

/** Whether `employeeId` is the colleague an active hand-off of the conversation went to. */
async function takenOverBy(m: Models, conversationId: string, employeeId: string): Promise<boolean> {
  return (await m.Handoff.exists({ conversation_id: conversationId, state: 'active', human_id: employeeId })) !== null;
}

/** The colleague an active hand-off of the conversation went to, if any. */
export async function handoffHuman(m: Models, conversationId: string): Promise<string | undefined> {
  const active = await m.Handoff.findOne({ conversation_id: conversationId, state: 'active' }, { _id: 0, human_id: 1 }).lean<{ human_id: string }>();
  return active?.human_id;
}

/**
 * Where a conversation's live events go: its members' inboxes or the group topic, and, while it
 * is handed off, the inbox of the colleague who took it over (they are no member of it).
 */
export async function liveTopics(m: Models, conversationId: string): Promise<(InboxTopic | GroupTopic)[]> {
  const ref = parseConversationId(conversationId);
  if (!ref) return [];
  const human = await handoffHuman(m, conversationId);
  return [...new Set([...conversationTopics(ref), ...(human ? [topics.inbox(human)] : [])])];
}
