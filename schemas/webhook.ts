import { z } from 'zod';
import { Card, Message } from './message.js';
import { EmployeeId } from './ids.js';

export const SIGNATURE_HEADER = 'x-mchat-signature';
export const TIMESTAMP_HEADER = 'x-mchat-timestamp';
/** Agents reject requests whose timestamp is further than this from their clock. */
export const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

export const AskerProfile = z.object({
  id: EmployeeId,
  name: z.string(),
  title: z.string(),
  department: z.string().nullable(),
  manager: z.string().nullable(),
});

export const AgentRequest = z.object({
  interaction_id: z.string().min(1),
  agent_id: EmployeeId,
  message: Message,
  context: z.object({ last_messages: z.array(Message).max(3), asker: AskerProfile }),
  relay: z.object({ hop: z.number().int().nonnegative(), from_agent: EmployeeId, notes: z.string() }).optional(),
});
export type AgentRequest = z.infer<typeof AgentRequest>;

export const AgentReply = z
  .object({
    text: z.string().max(8_000).optional(),
    card: Card.optional(),
    next_agent: EmployeeId.optional(),
    needs_approval: z.object({ approver: EmployeeId, summary: z.string().max(2_000) }).optional(),
    handoff: z.object({ reason: z.string().max(2_000) }).optional(),
  })
  .refine((r) => Object.values(r).some((x) => x !== undefined), 'an agent reply needs at least one field');
export type AgentReply = z.infer<typeof AgentReply>;
