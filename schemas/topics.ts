import { isTopicId } from './ids.js';

/**
 * Every topic of the design, built and parsed in one place. Builders throw on an id that would
 * change the topic's shape (wildcards, separators, empty); parsers return undefined for anything
 * that is not exactly one of these topics.
 */
export const ROOT = 'mchat';

export type Topic =
  | { kind: 'status'; employeeId: string }
  | { kind: 'profile'; employeeId: string }
  | { kind: 'req'; seqId: string }
  | { kind: 'resp'; clientId: string; seqId: string }
  | { kind: 'inbox'; employeeId: string }
  | { kind: 'group'; groupId: string }
  | { kind: 'adminCmd' }
  | { kind: 'systemNotify' }
  | { kind: 'orgTree' }
  | { kind: 'capability'; skill: string };

export class TopicIdError extends Error {
  constructor(readonly value: string) {
    super(`invalid id in topic: ${JSON.stringify(value)}`);
  }
}

function seg(value: string): string {
  if (!isTopicId(value)) throw new TopicIdError(value);
  return value;
}

/**
 * The topics' shapes as types, so that what may be published on a topic can follow from the topic
 * (`TopicPayload` in events.ts): the builders below answer these.
 */
export type StatusTopic = `${typeof ROOT}/status/${string}`;
export type ProfileTopic = `${typeof ROOT}/profile/${string}`;
export type ReqTopic = `${typeof ROOT}/msg/req/${string}`;
export type RespTopic = `${typeof ROOT}/msg/resp/${string}/${string}`;
export type InboxTopic = `${typeof ROOT}/inbox/${string}`;
export type GroupTopic = `${typeof ROOT}/group/${string}`;
export type AdminCmdTopic = `${typeof ROOT}/admin/cmd`;
export type SystemNotifyTopic = `${typeof ROOT}/system/notify`;
export type OrgTreeTopic = `${typeof ROOT}/org/tree`;
export type CapabilityTopic = `${typeof ROOT}/agent/capability/${string}`;
/** Where the gateway publishes a status for an external broker to rewrite onto `mchat/status/{id}`. */
export type GatewayStatusTopic = `${typeof ROOT}/gateway/status/${string}`;

export const topics = {
  status: (employeeId: string): StatusTopic => `${ROOT}/status/${seg(employeeId)}`,
  profile: (employeeId: string): ProfileTopic => `${ROOT}/profile/${seg(employeeId)}`,
  req: (seqId: string): ReqTopic => `${ROOT}/msg/req/${seg(seqId)}`,
  resp: (clientId: string, seqId: string): RespTopic => `${ROOT}/msg/resp/${seg(clientId)}/${seg(seqId)}`,
  inbox: (employeeId: string): InboxTopic => `${ROOT}/inbox/${seg(employeeId)}`,
  group: (groupId: string): GroupTopic => `${ROOT}/group/${seg(groupId)}`,
  adminCmd: (): AdminCmdTopic => `${ROOT}/admin/cmd`,
  systemNotify: (): SystemNotifyTopic => `${ROOT}/system/notify`,
  orgTree: (): OrgTreeTopic => `${ROOT}/org/tree`,
  capability: (skill: string): CapabilityTopic => `${ROOT}/agent/capability/${seg(skill)}`,
  gatewayStatus: (employeeId: string): GatewayStatusTopic => `${ROOT}/gateway/status/${seg(employeeId)}`,
} as const;

export function buildTopic(t: Topic): string {
  switch (t.kind) {
    case 'status': return topics.status(t.employeeId);
    case 'profile': return topics.profile(t.employeeId);
    case 'req': return topics.req(t.seqId);
    case 'resp': return topics.resp(t.clientId, t.seqId);
    case 'inbox': return topics.inbox(t.employeeId);
    case 'group': return topics.group(t.groupId);
    case 'adminCmd': return topics.adminCmd();
    case 'systemNotify': return topics.systemNotify();
    case 'orgTree': return topics.orgTree();
    case 'capability': return topics.capability(t.skill);
  }
}

export function parseTopic(topic: string): Topic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== ROOT) return undefined;
  const ids = (from: number) => parts.slice(from).every(isTopicId);
  const [, a, b, c, d] = parts;
  switch (parts.length) {
    case 3:
      if (!ids(2)) return undefined;
      if (a === 'status') return { kind: 'status', employeeId: b! };
      if (a === 'profile') return { kind: 'profile', employeeId: b! };
      if (a === 'inbox') return { kind: 'inbox', employeeId: b! };
      if (a === 'group') return { kind: 'group', groupId: b! };
      if (a === 'admin' && b === 'cmd') return { kind: 'adminCmd' };
      if (a === 'system' && b === 'notify') return { kind: 'systemNotify' };
      if (a === 'org' && b === 'tree') return { kind: 'orgTree' };
      return undefined;
    case 4:
      if (a === 'msg' && b === 'req' && ids(3)) return { kind: 'req', seqId: c! };
      if (a === 'agent' && b === 'capability' && ids(3)) return { kind: 'capability', skill: c! };
      return undefined;
    case 5:
      if (a === 'msg' && b === 'resp' && ids(3)) return { kind: 'resp', clientId: c!, seqId: d! };
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Where events of a conversation go: a direct chat to both members' inboxes (so the sender's
 * other devices see it too), a group once to its group topic.
 */
export function conversationTopics(ref: { kind: 'direct'; members: readonly string[] } | { kind: 'group'; groupId: string }): (InboxTopic | GroupTopic)[] {
  return ref.kind === 'direct' ? ref.members.map((id) => topics.inbox(id)) : [topics.group(ref.groupId)];
}
