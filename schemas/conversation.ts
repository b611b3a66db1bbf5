import { z } from 'zod';
import { Handoff } from './agents.js';
import { EmployeeId, GroupId } from './ids.js';
import { ConversationId, Message } from './message.js';

/** One row of `conv.list`. `unread` is present once read cursors exist for the conversation. */
export const ConversationSummary = z.object({
  conversation_id: ConversationId,
  kind: z.enum(['direct', 'group']),
  title: z.string(),
  peer_id: EmployeeId.optional(),
  group_id: GroupId.optional(),
  last_message: Message.optional(),
  last_seq: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative().optional(),
  /** The hand-off the conversation is under, while it is active: a reloaded client shows it again. */
  handoff: Handoff.optional(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;
