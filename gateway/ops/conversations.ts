import { directConversationId, groupConversationId, parseConversationId, type Employee, type Group } from '../../schemas/index.js';
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
  if (!group.members.includes(caller.id)) throw new OpError('E_FORBIDDEN', `not a member of group "${groupId}"`, field);
  return { kind: 'group', conversation_id: groupConversationId(groupId), group };
}

export async function conversationAccess(m: Models, caller: Caller, conversationId: string, field: string): Promise<Access> {
  const ref = parseConversationId(conversationId);
  if (!ref) throw new OpError('E_SCHEMA', 'not a conversation id', field);
  if (ref.kind === 'group') return groupAccess(m, caller, ref.groupId, field);
  const [a, b] = ref.members;
  if (caller.id !== a && caller.id !== b) throw new OpError('E_FORBIDDEN', 'not a member of this conversation', field);
  return directAccess(m, caller, caller.id === a ? b : a, field);
}
