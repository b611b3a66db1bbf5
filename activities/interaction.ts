import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  AgentReply, HANDOFF_SUMMARY_MESSAGES, SIGNATURE_HEADER, TIMESTAMP_HEADER, visible, type AgentRequest, type Department, type Handoff, type HandoffSummary, type Message, type Relay,
} from '../schemas/index.js';
import type { AgentInfo, CallOutcome, LoadedInteraction, LoadInput, Prompt } from '../schemas/workflow.js';
import { credentialOf } from '../store/credentials.js';
import { messagesBefore } from '../store/pages.js';
import { signBody } from '../lib/signing.js';
import type { Common } from './common.js';
import { NO_GUARDS, type ActivityDeps } from './deps.js';

/** How many earlier messages of the conversation an agent is given with the question. */
const CONTEXT_MESSAGES = 3;

/** Asking an agent: what it is told, the signed webhook call, and posting what it says. */
export function interactionActivities({ m, store, guards = NO_GUARDS }: ActivityDeps, { org, employee, activeEmployee, agentInfo, postMessage }: Common) {
  /** The 3 messages before `message`, oldest first: remembered in Redis, else from the database. */
  async function lastMessages(message: Message): Promise<Message[]> {
    const remembered = await store.recent?.before(message, CONTEXT_MESSAGES);
    if (remembered) return remembered;
    return (await messagesBefore(m, message.conversation_id, message.seq, CONTEXT_MESSAGES)).reverse();
  }

  /**
   * The hand-off of the conversation released most recently, if that was after the agent last
   * answered there (its own "handed back" notice aside): what the colleague did meanwhile.
   */
  async function releasedHandoff(conversationId: string, agentId: string): Promise<HandoffSummary | undefined> {
    const last = await m.Handoff.findOne({ conversation_id: conversationId, state: 'released' }, { _id: 0 })
      .sort({ released_at: -1 }).lean<Handoff>();
    if (!last?.released_at || !last.released_by) return undefined;
    const answered = await m.Message.findOne({ conversation_id: conversationId, from: agentId, kind: { $ne: 'system' } }, { _id: 0, ts: 1 })
      .sort({ seq: -1 }).lean<{ ts: number }>();
    if (answered && answered.ts > last.released_at) return undefined;
    const [human, during] = await Promise.all([
      employee(last.human_id),
      m.Message.find({ conversation_id: conversationId, ts: { $gte: last.since, $lte: last.released_at }, kind: { $ne: 'system' }, recalled: { $ne: true } }, { _id: 0 })
        .sort({ seq: -1 }).limit(HANDOFF_SUMMARY_MESSAGES).lean<Message[]>(),
    ]);
    return {
      human: { id: human.id, name: human.name }, reason: last.reason, since: last.since, released_at: last.released_at, released_by: last.released_by,
      messages: during.reverse().map((msg) => ({ from: msg.from, text: (msg.body.text ?? msg.body.card?.title ?? '(attachment)').slice(0, 2_000), ts: msg.ts })),
    };
  }

  /** A scheduled prompt dressed as the message it stands for; never stored, the same on every retry. */
  async function promptMessage(interactionId: string, agentId: string, prompt: Prompt): Promise<Message> {
    const last = await m.Message.findOne({ conversation_id: prompt.conversation_id }, { seq: 1 }).sort({ seq: -1 }).lean();
    const id = 'sched-' + createHash('sha256').update(interactionId).digest('hex').slice(0, 40);
    return {
      msg_id: id, conversation_id: prompt.conversation_id, seq: (last?.seq ?? 0) + 1, from: prompt.by, ts: Date.now(), kind: 'text',
      client_msg_id: id, body: { text: prompt.text, mentions: [agentId], attachments: [] },
    };
  }

  return {
    /** The triggering message, the three before it and the asker's profile, as the agent gets them. */
    async loadInteraction(input: LoadInput): Promise<LoadedInteraction> {
      const message = input.message ?? (input.prompt && (await promptMessage(input.interaction_id, input.agent_id, input.prompt)));
      if (!message) throw ApplicationFailure.nonRetryable('neither a message nor a prompt to answer', 'NotFound');
      const [agent, asker, earlier, relay, handoff, released] = await Promise.all([
        employee(input.agent_id),
        employee(message.from),
        lastMessages(message),
        input.relay ? m.Relay.findOne(input.relay, { _id: 0 }).lean<Relay>() : null,
        m.Handoff.exists({ conversation_id: message.conversation_id, state: 'active' }),
        releasedHandoff(message.conversation_id, input.agent_id),
      ]);
      const [department, manager] = await Promise.all([
        asker.department_id ? m.Department.findOne({ id: asker.department_id }).lean<Department>() : null,
        asker.manager_id ? org.employee(asker.manager_id) : null,
      ]);
      return {
        conversation_id: message.conversation_id,
        asker_id: asker.id,
        agent: agentInfo(agent),
        ...(relay ? { relay } : {}),
        handoff_active: handoff !== null,
        request: {
          interaction_id: input.interaction_id,
          agent_id: agent.id,
          message,
          context: {
            last_messages: earlier.map(visible),
            asker: {
              id: asker.id,
              name: asker.name,
              title: asker.title,
              department: department?.name ?? null,
              manager: manager?.name ?? null,
            },
          },
          ...(released ? { handoff: released } : {}),
        },
      };
    },

    /** An active agent a relay may pass on to, or null. */
    async describeAgent(agentId: string): Promise<AgentInfo | null> {
      const agent = await activeEmployee(agentId);
      return agent?.is_ai_agent ? agentInfo(agent) : null;
    },

    takeAgentSlot(agentId: string) {
      return guards.take(agentId);
    },

    /**
     * POSTs the signed request to the agent's webhook. 4xx and bad replies are final; network
     * errors and 5xx are thrown to be retried. 202 means the agent will post its answer back, 204
     * that it has nothing to say (the workflow decides whether it may).
     */
    async callAgent(input: { agent_id: string; request: AgentRequest }): Promise<CallOutcome> {
      const agent = await employee(input.agent_id);
      const endpoint = agent.agent_profile?.webhook_endpoint;
      const secret = (await credentialOf(m, agent.id))?.api_secret;
      if (agent.status !== 'active') throw ApplicationFailure.nonRetryable(`agent "${agent.id}" is disabled`, 'AgentRejected');
      if (!endpoint || !secret) throw ApplicationFailure.nonRetryable(`agent "${agent.id}" has no webhook`, 'AgentRejected');
      const body = JSON.stringify(input.request);
      const ts = Date.now();
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(secret, ts, body) },
        body,
        signal: AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(agentInfo(agent).response_timeout_ms)]),
      });
      const text = await res.text();
      if (res.status === 202) return { kind: 'accepted' };
      if (res.status === 204) return { kind: 'silent' };
      if (res.status >= 400 && res.status < 500) {
        throw ApplicationFailure.nonRetryable(`agent answered ${res.status}: ${text.slice(0, 200)}`, 'AgentRejected');
      }
      if (!res.ok) throw new Error(`agent answered ${res.status}`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw ApplicationFailure.nonRetryable('agent reply is not JSON', 'BadAgentReply');
      }
      const reply = AgentReply.safeParse(json);
      if (!reply.success) throw ApplicationFailure.nonRetryable(`agent reply: ${reply.error.issues[0]?.message}`, 'BadAgentReply');
      return { kind: 'reply', reply: reply.data };
    },

    /** Stores a workflow's message once per key (retries find it again) and delivers it. */
    postMessage,
  };
}
