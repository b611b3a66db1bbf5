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

/**
 * What happened since the agent last answered: sent with the request it answered, so the agent
 * can follow up. Today one kind: the approval it asked for (`needs_approval`) was decided.
 */
export const ApprovalDecided = z.object({
  type: z.literal('approval_decided'),
  task_id: z.string().min(1),
  /** The summary the agent gave in `needs_approval`. */
  summary: z.string(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().optional(),
  approver: z.object({ id: EmployeeId, name: z.string() }),
  decided_at: z.number().int().nonnegative(),
});
export type ApprovalDecided = z.infer<typeof ApprovalDecided>;

export const AgentEvent = z.discriminatedUnion('type', [ApprovalDecided]);
export type AgentEvent = z.infer<typeof AgentEvent>;

/**
 * A hand-off of the conversation released since the agent last answered in it: who took over,
 * and what was said while they had it, so the agent can pick up where the colleague left off.
 */
export const HandoffSummary = z.object({
  human: z.object({ id: EmployeeId, name: z.string() }),
  reason: z.string(),
  since: z.number().int().nonnegative(),
  released_at: z.number().int().nonnegative(),
  released_by: EmployeeId,
  /** The conversation's messages while handed off, oldest first (at most HANDOFF_SUMMARY_MESSAGES). */
  messages: z.array(z.object({ from: EmployeeId, text: z.string(), ts: z.number().int().nonnegative() })).max(20),
});
export type HandoffSummary = z.infer<typeof HandoffSummary>;
export const HANDOFF_SUMMARY_MESSAGES = 20;

export const AgentRequest = z.object({
  interaction_id: z.string().min(1),
  agent_id: EmployeeId,
  message: Message,
  context: z.object({ last_messages: z.array(Message).max(3), asker: AskerProfile }),
  relay: z.object({ hop: z.number().int().nonnegative(), from_agent: EmployeeId, notes: z.string() }).optional(),
  /** Absent for a question; present, `message` and `context` are those of the question the agent answered before. */
  event: AgentEvent.optional(),
  /** Present on the first call after a hand-off of the conversation was released (see HandoffSummary). */
  handoff: HandoffSummary.optional(),
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
