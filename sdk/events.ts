import {
  parseTopic, topicPayloads,
  type CapabilityState, type Event, type NotifyEvent, type OrgTreeState, type Presence, type ProfileState,
} from '../schemas/index.js';

/** What arrived on a topic the client subscribes to, checked against that topic's schema. */
export type Incoming =
  | { kind: 'inbox'; event: Event }
  | { kind: 'group'; groupId: string; event: Event }
  | { kind: 'presence'; employeeId: string; presence: Presence }
  | { kind: 'profile'; profile: ProfileState }
  | { kind: 'orgTree'; tree: OrgTreeState }
  | { kind: 'capability'; capability: CapabilityState }
  | { kind: 'notify'; event: NotifyEvent };

/**
 * The typed form of one incoming publish, or undefined for anything else: not JSON, a topic that
 * is not ours, a response (requests.ts reads those), a cleared retained message, or a payload of a
 * newer protocol than this client knows.
 */
export function decode(topic: string, payload: Uint8Array): Incoming | undefined {
  const t = parseTopic(topic);
  if (!t || t.kind === 'resp' || !(t.kind in topicPayloads)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
  switch (t.kind) {
    case 'inbox': return wrap(topicPayloads.inbox.safeParse(json), (event) => ({ kind: 'inbox', event }));
    case 'group': return wrap(topicPayloads.group.safeParse(json), (event) => ({ kind: 'group', groupId: t.groupId, event }));
    case 'status': return wrap(topicPayloads.status.safeParse(json), (presence) => ({ kind: 'presence', employeeId: t.employeeId, presence }));
    case 'profile': return wrap(topicPayloads.profile.safeParse(json), (profile) => ({ kind: 'profile', profile }));
    case 'orgTree': return wrap(topicPayloads.orgTree.safeParse(json), (tree) => ({ kind: 'orgTree', tree }));
    case 'capability': return wrap(topicPayloads.capability.safeParse(json), (capability) => ({ kind: 'capability', capability }));
    case 'systemNotify': return wrap(topicPayloads.systemNotify.safeParse(json), (event) => ({ kind: 'notify', event }));
    default: return undefined;
  }
}

function wrap<T>(parsed: { success: true; data: T } | { success: false }, make: (data: T) => Incoming): Incoming | undefined {
  return parsed.success ? make(parsed.data) : undefined;
}
