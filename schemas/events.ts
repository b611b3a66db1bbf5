import { z } from 'zod';
import { EmployeeId, EpochMs } from './ids.js';
import { ConversationId, Message } from './message.js';
import { Handoff, Task, WorkflowStatus } from './agents.js';


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

export const Event = z.discriminatedUnion('type', [MessageEvent, ReceiptEvent, RecallEvent, WorkflowEvent, TaskEvent, HandoffEvent, NotifyEvent]);
export type Event = z.infer<typeof Event>;

export const PresenceState = z.enum(['online', 'away', 'offline']);
export const Presence = z.object({ state: PresenceState, ts: EpochMs });
export type Presence = z.infer<typeof Presence>;
