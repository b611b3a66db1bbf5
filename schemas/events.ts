import { z } from 'zod';
import { EmployeeId, EpochMs } from './ids.js';
import { ConversationId, Message } from './message.js';
import { Handoff, Task, WorkflowStatus } from './agents.js';
import { OrgTree, SkillAgents } from './ops.js';
import { PublicProfile } from './organisation.js';
import { ResponseEnvelope } from './envelope.js';
import type {
  CapabilityTopic, GatewayStatusTopic, GroupTopic, InboxTopic, OrgTreeTopic, ProfileTopic, RespTopic, StatusTopic, SystemNotifyTopic, Topic,
} from './topics.js';

const v = z.literal(1);

export const MessageEvent = z.object({ v, type: z.literal('message'), msg: Message });
export const ReceiptEvent = z.object({
  v,
  type: z.literal('receipt'),
  conversation_id: ConversationId,
  seq: z.number().int().nonnegative(),
  reader: EmployeeId.optional(),
  read_count: z.number().int().nonnegative().optional(),
});
export const RecallEvent = z.object({ v, type: z.literal('recall'), conversation_id: ConversationId, msg_id: z.string() });
export const WorkflowEvent = z.object({
  v,
  type: z.literal('workflow'),
  workflow_id: z.string(),
  conversation_id: ConversationId,
  status: WorkflowStatus,
  step: z.string(),
});
/** An approval task assigned to, or decided for, the inbox's owner (approver or asker). */
export const TaskEvent = z.object({ v, type: z.literal('task'), task: Task });
/** A conversation handed to a human, or released back to its agents. */
export const HandoffEvent = z.object({ v, type: z.literal('handoff'), handoff: Handoff });
export const NotifyEvent = z.object({ v, type: z.literal('notify'), kind: z.string(), text: z.string(), data: z.unknown().optional() });
export type NotifyEvent = z.infer<typeof NotifyEvent>;

export const Event = z.discriminatedUnion('type', [MessageEvent, ReceiptEvent, RecallEvent, WorkflowEvent, TaskEvent, HandoffEvent, NotifyEvent]);
export type Event = z.infer<typeof Event>;

export const PresenceState = z.enum(['online', 'away', 'offline']);
/**
 * `mchat/status/{id}`, retained, published by the gateway: `online` while any of the employee's
 * devices is connected and not idle, `away` while all connected ones are idle, `offline` when the
 * last has gone. `ts` is when it became so.
 */
export const Presence = z.object({ state: PresenceState, ts: EpochMs });
export type Presence = z.infer<typeof Presence>;

/** The largest status update a client may publish; anything longer is refused unread. */
export const MAX_STATUS_UPDATE_BYTES = 256;
/**
 * What a client may publish on its own `mchat/status/{id}`: how this device is (idle: `away`,
 * back: `online`). The gateway folds it into the employee's status; its `ts` is not used. An
 * `offline` (a Last Will, say) is refused: the gateway sees connections go. Other fields are
 * dropped, within the size limit.
 */
export const StatusUpdate = z.object({ state: z.enum(['online', 'away']), ts: EpochMs.optional() });
export type StatusUpdate = z.infer<typeof StatusUpdate>;

// --- retained state: the last value of each is kept by the broker for whoever subscribes later ---

/** `mchat/profile/{id}`: an employee's public card. */
export const ProfileState = PublicProfile.extend({ v });
export type ProfileState = z.infer<typeof ProfileState>;
/** `mchat/org/tree`: the departments with their active members, as `org.tree` answers them. */
export const OrgTreeState = OrgTree.extend({ v, ts: EpochMs });
export type OrgTreeState = z.infer<typeof OrgTreeState>;
/** `mchat/agent/capability/{skill}`: the skill's card and the active agents offering it; no card once nobody does. */
export const CapabilityState = SkillAgents.extend({ v, card: SkillAgents.shape.card.optional() });
export type CapabilityState = z.infer<typeof CapabilityState>;

/**
 * What MChat's own processes publish on each topic (see lib/publisher.ts): events on inboxes and
 * groups, notices on `mchat/system/notify`, answers on response topics, presence, and the
 * retained state above. Topics nobody publishes to from the server side (requests) have none.
 */
export type TopicPayload<T extends string> =
  T extends InboxTopic | GroupTopic ? Event
  : T extends SystemNotifyTopic ? NotifyEvent
  : T extends RespTopic ? ResponseEnvelope
  : T extends StatusTopic | GatewayStatusTopic ? Presence
  : T extends ProfileTopic ? ProfileState
  : T extends OrgTreeTopic ? OrgTreeState
  : T extends CapabilityTopic ? CapabilityState
  : never;

/** The schema of each `TopicPayload`, by topic kind (see parseTopic): to check what arrives. */
export const topicPayloads = {
  inbox: Event,
  group: Event,
  systemNotify: NotifyEvent,
  resp: ResponseEnvelope,
  status: Presence,
  profile: ProfileState,
  orgTree: OrgTreeState,
  capability: CapabilityState,
} as const satisfies Partial<Record<Topic['kind'], z.ZodType>>;

/** The topics MChat's processes publish to. */
export type PublishedTopic =
  InboxTopic | GroupTopic | SystemNotifyTopic | RespTopic | StatusTopic | GatewayStatusTopic | ProfileTopic | OrgTreeTopic | CapabilityTopic;
