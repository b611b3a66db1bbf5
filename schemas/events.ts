import { z } from 'zod';
import { EmployeeId, EpochMs } from './ids.js';
import { ConversationId, Message } from './message.js';

export const WorkflowStatus = z.enum(['running', 'waiting', 'completed', 'failed']);

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
export const NotifyEvent = z.object({ v, type: z.literal('notify'), kind: z.string(), text: z.string(), data: z.unknown().optional() });

export const Event = z.discriminatedUnion('type', [MessageEvent, ReceiptEvent, RecallEvent, WorkflowEvent, NotifyEvent]);
export type Event = z.infer<typeof Event>;

export const PresenceState = z.enum(['online', 'away', 'offline']);
export const Presence = z.object({ state: PresenceState, ts: EpochMs });
export type Presence = z.infer<typeof Presence>;
