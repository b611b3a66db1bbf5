import type { AuditEntry } from './admin.js';
import type { Handoff, Hop, Relay, Task, WorkflowStatus } from './agents.js';
import type { Card, Message, Notice } from './message.js';
import type { AgentReply, AgentRequest } from './webhook.js';

/**
 * The contracts of agent work: what the gateway hands the workflows (inputs, signals, updates),
 * what the workflows hand their activities, and what they answer back. Plain TypeScript types
 * only, and only `import type` above: workflow code imports this file, and workflow code stays
 * free of zod (see interaction.ts, and workflows/bundle.test.ts). Where a type is also on the
 * wire (`LiveState`, in `workflow.get`), its zod schema in ops.ts is checked against it.
 */

// --- workflow inputs (gateway/agents.ts starts them) ---------------------------------------------

/** `agentInteraction`: one stored message answered by one agent, or by a relay starting with it. */
export interface InteractionInput {
  agent_id: string;
  msg_id: string;
  /** The triggering message as it was stored: the workflow needs it first thing and reading it back costs a query. */
  message: Message;
  /** A named relay to follow, its version pinned by whoever started the workflow. */
  relay?: { relay_id: string; version: number };
}

/** `scheduledPush`: what a schedule asks, and of whom (see gateway/admin/schedules.ts). */
export interface ScheduledInput {
  schedule_id: string;
  agent_id: string;
  conversation_id: string;
  prompt: string;
  created_by: string;
}

/** `humanHandoff`: a person asked for a human (the hand-off command or `handoff.request`). */
export interface HandoffWorkflowInput {
  conversation_id: string;
  agent_id: string;
  requested_by: string;
  asker_id: string;
  reason: string;
  msg_id?: string;
}

// --- what the gateway asks of a running workflow ------------------------------------------------

/** What the `state` query answers: the workflow's visible state, as the web app shows it. */
export interface LiveState {
  status: WorkflowStatus;
  step: string;
  hops: Hop[];
  pending_task?: Task;
  error?: string;
}

/** The `agentReply` signal: an agent's asynchronous answer to one hop (from `POST /api/agents/callback`). */
export interface CallbackSignal {
  hop: number;
  agent_id: string;
  reply: AgentReply;
}

/** The `decide` update: an approver's decision on the pending task; it answers with the task as decided. */
export interface DecisionInput {
  task_id: string;
  by: string;
  decision: 'approve' | 'reject';
  comment?: string;
  via: AuditEntry['via'];
}

// --- between the workflows and their activities --------------------------------------------------

/** What a workflow needs to know of an agent to call it. */
export interface AgentInfo {
  id: string;
  name: string;
  response_timeout_ms: number;
}

/** A question asked without a message, by a schedule on behalf of `by`. */
export interface Prompt {
  conversation_id: string;
  text: string;
  by: string;
}

/** What `loadInteraction` is asked: a message to answer, or a scheduled prompt. */
export interface LoadInput {
  interaction_id: string;
  agent_id: string;
  message?: Message;
  prompt?: Prompt;
  relay?: { relay_id: string; version: number };
}

/** What `loadInteraction` answers: everything an interaction needs before its first call. */
export interface LoadedInteraction {
  conversation_id: string;
  asker_id: string;
  agent: AgentInfo;
  /** The request without its per-hop fields, which the workflow fills in. */
  request: AgentRequest;
  relay?: Relay;
  /** A human has taken the conversation over: the agents stay quiet. */
  handoff_active: boolean;
}

/** A message a workflow posts (`postMessage`). */
export interface PostInput {
  from: string;
  conversation_id: string;
  workflow_id: string;
  /** Unique within the workflow: a retried activity finds the message it stored before. */
  key: string;
  text?: string;
  card?: Card;
  /** The same as data, for clients to word in their reader's language; `text` is the English. */
  notice?: Notice;
  system?: boolean;
  mentions?: string[];
  /** Written by an agent, so it passes the sensitive-word filter first. */
  agent_output?: boolean;
}

/** A hand-off the workflow opens (`openHandoff`): the workflow input, with the workflow's id. */
/** `handoffPickup`: watches an opened hand-off until its colleague picks it up. */
export interface PickupInput {
  handoff: Handoff;
  pickup_ms: number;
}

/** One look at whether the colleague picked the hand-off up; `tried` are those who had it before. */
export interface EscalateInput {
  workflow_id: string;
  human_id: string;
  tried: string[];
  level: number;
}

export type PickupOutcome =
  | { kind: 'picked_up' | 'released' }
  | { kind: 'escalated'; handoff: Handoff }
  | { kind: 'nobody' };

export interface HandoffInput {
  conversation_id: string;
  agent_id: string;
  requested_by: string;
  asker_id: string;
  reason: string;
  workflow_id: string;
}

/**
 * What `callAgent` got: the agent's reply, its 202 (the answer comes as a `CallbackSignal`), or
 * its 204: nothing to say, which only a follow-up (a request with an `event`) may answer.
 */
export type CallOutcome = { kind: 'reply'; reply: AgentReply } | { kind: 'accepted' } | { kind: 'silent' };
