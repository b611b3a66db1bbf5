import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  AgentReply, conversationTopics, parseConversationId, SIGNATURE_HEADER, TIMESTAMP_HEADER,
  type AgentRequest, type Department, type Employee, type Message,
} from '../schemas/index.js';
import type { Models } from '../lib/db.js';
import type { MessageStore } from '../lib/messages.js';
import type { Publisher } from '../lib/publisher.js';
import { signBody } from '../lib/signing.js';

export interface ActivityDeps {
  m: Models;
  store: MessageStore;
  publisher: Publisher;
}

export interface LoadedInteraction {
  conversation_id: string;
  agent_name: string;
  response_timeout_ms: number;
  request: AgentRequest;
}

export interface WorkflowReport {
  workflow_id: string;
  conversation_id: string;
  status: 'running' | 'waiting' | 'completed' | 'failed';
  step: string;
}

export function createActivities({ m, store, publisher }: ActivityDeps) {
  async function employee(id: string): Promise<Employee> {
    const e = await m.Employee.findOne({ id }, { _id: 0 }).lean<Employee>();
    if (!e) throw ApplicationFailure.nonRetryable(`no employee "${id}"`, 'NotFound');
    return e;
  }

  async function publishToConversation(conversationId: string, event: unknown): Promise<void> {
    const ref = parseConversationId(conversationId);
    if (!ref) throw ApplicationFailure.nonRetryable(`bad conversation id "${conversationId}"`, 'NotFound');
    await Promise.all(conversationTopics(ref).map((t) => publisher.publish(t, event, { qos: 1 })));
  }

  return {
    /** The triggering message, the three before it and the asker's profile, as the agent gets them. */
    async loadInteraction(input: { interaction_id: string; agent_id: string; msg_id: string }): Promise<LoadedInteraction> {
      const message = await m.Message.findOne({ msg_id: input.msg_id }, { _id: 0 }).lean<Message>();
      if (!message) throw ApplicationFailure.nonRetryable(`no message "${input.msg_id}"`, 'NotFound');
      const [agent, asker, earlier] = await Promise.all([
        employee(input.agent_id),
        employee(message.from),
        m.Message.find({ conversation_id: message.conversation_id, seq: { $lt: message.seq } }, { _id: 0 })
          .sort({ seq: -1 })
          .limit(3)
          .lean<Message[]>(),
      ]);
      const [department, manager] = await Promise.all([
        asker.department_id ? m.Department.findOne({ id: asker.department_id }).lean<Department>() : null,
        asker.manager_id ? m.Employee.findOne({ id: asker.manager_id }).lean<Employee>() : null,
      ]);
      return {
        conversation_id: message.conversation_id,
        agent_name: agent.name,
        response_timeout_ms: agent.agent_profile?.response_timeout ?? 30_000,
        request: {
          interaction_id: input.interaction_id,
          agent_id: agent.id,
          message,
          context: {
            last_messages: earlier.reverse(),
            asker: {
              id: asker.id,
              name: asker.name,
              title: asker.title,
              department: department?.name ?? null,
              manager: manager?.name ?? null,
            },
          },
        },
      };
    },

    /** POSTs the signed request to the agent's webhook. 4xx and bad replies are final; the rest retries. */
    async callAgent(input: { agent_id: string; request: AgentRequest }): Promise<AgentReply> {
      const agent = await employee(input.agent_id);
      const endpoint = agent.agent_profile?.webhook_endpoint;
      const secret = (await m.Credential.findOne({ employee_id: agent.id }).lean())?.api_secret;
      if (!endpoint || !secret) throw ApplicationFailure.nonRetryable(`agent "${agent.id}" has no webhook`, 'AgentRejected');
      const body = JSON.stringify(input.request);
      const ts = Date.now();
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(secret, ts, body) },
        body,
        signal: Context.current().cancellationSignal,
      });
      const text = await res.text();
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
      return reply.data;
    },

    /** Stores the agent's message once per workflow (retries find it again) and delivers it. */
    async postAgentMessage(input: { agent_id: string; conversation_id: string; workflow_id: string; reply: AgentReply; system?: boolean }): Promise<Message> {
      const ref = parseConversationId(input.conversation_id);
      if (!ref) throw ApplicationFailure.nonRetryable(`bad conversation id "${input.conversation_id}"`, 'NotFound');
      const { reply } = input;
      const { message, created } = await store.store({
        conversation_id: input.conversation_id,
        members: ref.kind === 'direct' ? ref.members : [],
        from: input.agent_id,
        kind: input.system ? 'system' : reply.card ? 'card' : 'text',
        body: { text: reply.text, mentions: [], attachments: [], ...(reply.card ? { card: reply.card } : {}) },
        client_msg_id: 'wf-' + createHash('sha256').update(`${input.workflow_id}:${input.system ? 'notice' : 'reply'}`).digest('hex').slice(0, 40),
        workflow_id: input.workflow_id,
      });
      if (created) await publishToConversation(input.conversation_id, { v: 1, type: 'message', msg: message });
      return message;
    },

    async reportWorkflow(report: WorkflowReport): Promise<void> {
      await publishToConversation(report.conversation_id, { v: 1, type: 'workflow', ...report });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
