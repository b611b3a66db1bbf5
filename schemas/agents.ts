import { z } from 'zod';
import { EmployeeId, EpochMs, Id } from './ids.js';
import { ConversationId } from './message.js';
import { AgentReply } from './webhook.js';

/**
 * The documents and payloads of agent work: workflow runs (mirrored from Temporal for listing),
 * approval tasks, hand-offs to humans and named relays. Temporal holds the truth while a workflow
 * runs; these documents are what the web app and the `task.*`, `workflow.*`, `handoff.*` ops list.
 */

export const WorkflowStatus = z.enum(['running', 'waiting', 'completed', 'failed']);
export type WorkflowStatus = z.infer<typeof WorkflowStatus>;

export const WorkflowKind = z.enum(['interaction', 'handoff', 'scheduled']);

/** One call of an agent in a workflow: the first agent is hop 0, each relay and each follow-up adds one. */
export const Hop = z.object({
  hop: z.number().int().nonnegative(),
  agent_id: EmployeeId,
  status: z.enum(['calling', 'answered', 'failed']),
  started_at: EpochMs,
  finished_at: EpochMs.optional(),
  /** The message the agent's answer was posted as. */
  reply_msg_id: Id.optional(),
  error: z.string().max(2_000).optional(),
  /** A follow-up: the agent was told of this event (see AgentRequest.event), not asked a question. */
  event: z.enum(['approval_decided']).optional(),
});
export type Hop = z.infer<typeof Hop>;

/** Mirror of a workflow's visible state, one document per workflow id. */
export const WorkflowRun = z.object({
  workflow_id: z.string().min(1).max(200),
  kind: WorkflowKind,
  conversation_id: ConversationId,
  /** The message that started it (absent for scheduled runs). */
  msg_id: Id.optional(),
  /** The employee whose message started it. */
  started_by: EmployeeId.optional(),
  status: WorkflowStatus,
  /** Human-readable current step, e.g. `calling a_finance`, `waiting for u_wang`. */
  step: z.string().max(200),
  hops: z.array(Hop).default([]),
  relay: z.object({ relay_id: Id, version: z.number().int().positive() }).optional(),
  pending_task_id: Id.optional(),
  error: z.string().max(2_000).optional(),
  started_at: EpochMs,
  updated_at: EpochMs,
});
export type WorkflowRun = z.infer<typeof WorkflowRun>;

export const TaskState = z.enum(['pending', 'approved', 'rejected', 'escalated']);
export type TaskState = z.infer<typeof TaskState>;

/**
 * An approval a workflow waits for. Only `approver_id` may decide it; when it times out it is
 * marked `escalated` and a new task goes to the approver's manager (`escalated_from` links them).
 */
export const Task = z.object({
  task_id: Id,
  workflow_id: z.string().min(1).max(200),
  conversation_id: ConversationId,
  approver_id: EmployeeId,
  /** The agent whose plan needs the approval. */
  requested_by: EmployeeId,
  /** The employee who asked the agent. */
  asker_id: EmployeeId,
  summary: z.string().max(2_000),
  state: TaskState,
  decision: z
    .object({ by: EmployeeId, decision: z.enum(['approve', 'reject']), comment: z.string().max(2_000).optional(), ts: EpochMs })
    .optional(),
  escalated_from: Id.optional(),
  created_at: EpochMs,
  due_at: EpochMs,
});
export type Task = z.infer<typeof Task>;

/** A conversation taken over by a human: agents stay quiet in it until it is released. */
export const Handoff = z.object({
  conversation_id: ConversationId,
  human_id: EmployeeId,
  /** The agent that was handling the conversation, if any. */
  agent_id: EmployeeId.optional(),
  requested_by: EmployeeId,
  /** The person the conversation is about: they, or the human, may release it. */
  asker_id: EmployeeId,
  reason: z.string().max(2_000),
  workflow_id: z.string().min(1).max(200),
  state: z.enum(['active', 'released']),
  since: EpochMs,
  released_at: EpochMs.optional(),
  released_by: EmployeeId.optional(),
});
export type Handoff = z.infer<typeof Handoff>;

/** A condition on the previous hop's answer text; a step without one always runs. */
export const RelayCondition = z.object({ contains: z.string().min(1).max(200) });

/**
 * A named relay designed by a process designer: agents in order, each step optionally
 * conditional. Saving a relay again creates a new version; running workflows keep theirs.
 */
export const Relay = z.object({
  relay_id: Id,
  version: z.number().int().positive(),
  name: z.string().min(1).max(128),
  /** The first step's agent starts the relay when it is addressed. */
  steps: z.array(z.object({ agent_id: EmployeeId, when: RelayCondition.optional() })).min(1).max(10),
  created_by: EmployeeId,
  created_at: EpochMs,
});
export type Relay = z.infer<typeof Relay>;

/** `every` of a schedule: a number and a unit, e.g. `30s`, `15m`, `1h`, `1d`. */
export const Interval = z.string().regex(/^[1-9][0-9]{0,5}(s|m|h|d)$/, 'a number and s, m, h or d, e.g. "1h"');

/**
 * A proactive agent: a Temporal Schedule that asks `agent_id` the `prompt` (by cron or every
 * interval) and posts the answer in the conversation, as if `created_by` had asked.
 */
export const Schedule = z.object({
  schedule_id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only'),
  agent_id: EmployeeId,
  conversation_id: ConversationId,
  cron: z.string().min(1).max(100).optional(),
  every: Interval.optional(),
  prompt: z.string().min(1).max(2_000),
  created_by: EmployeeId,
  paused: z.boolean(),
});
export type Schedule = z.infer<typeof Schedule>;

/** What an agent posts to `POST /api/agents/callback` when it answered its webhook with 202. */
export const AgentCallback = z.object({
  interaction_id: z.string().min(1).max(300),
  agent_id: EmployeeId,
  reply: AgentReply,
});
export type AgentCallback = z.infer<typeof AgentCallback>;

/** Addresses a named relay in a message, e.g. `@relay:refunds`. */
export const RELAY_MENTION = 'relay:';

/** Typed by a person in a chat with an agent, asks for a human colleague. */
export const HANDOFF_COMMANDS = ['转人工', '/human', '/handoff'] as const;
