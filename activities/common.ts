import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { conversationTopics, parseConversationId, topics, type Employee, type Event, type GroupTopic, type InboxTopic } from '../schemas/index.js';
import type { AgentInfo, PostInput } from '../schemas/workflow.js';
import { orgCache } from '../store/org-cache.js';
import { NO_GUARDS, type ActivityDeps } from './deps.js';

/** What the parts of the activities share: people from the directory cache, and posting to conversations. */
export function commonParts({ m, store, publisher, guards = NO_GUARDS }: ActivityDeps) {
  // Every interaction reads its agent and asker; the directory cache makes that one batched
  // query per moment instead of a scan each on FerretDB, at the price of ORG_CACHE_TTL_MS staleness.
  const org = orgCache(m);

  async function employee(id: string): Promise<Employee> {
    const e = await org.employee(id);
    if (!e) throw ApplicationFailure.nonRetryable(`no employee "${id}"`, 'NotFound');
    return e;
  }

  async function activeEmployee(id: string | null | undefined): Promise<Employee | null> {
    return id ? org.activeEmployee(id) : null;
  }

  function agentInfo(agent: Employee): AgentInfo {
    return { id: agent.id, name: agent.name, response_timeout_ms: agent.agent_profile?.response_timeout ?? 30_000 };
  }

  /** To its members (or group), and while handed off to the colleague who took it over, who is no member. */
  async function publishToConversation(conversationId: string, event: Event): Promise<void> {
    const ref = parseConversationId(conversationId);
    if (!ref) throw ApplicationFailure.nonRetryable(`bad conversation id "${conversationId}"`, 'NotFound');
    const active = await m.Handoff.findOne({ conversation_id: conversationId, state: 'active' }, { _id: 0, human_id: 1 }).lean<{ human_id: string }>();
    const targets = new Set<InboxTopic | GroupTopic>([...conversationTopics(ref), ...(active ? [topics.inbox(active.human_id)] : [])]);
    await Promise.all([...targets].map((t) => publisher.publish(t, event, { qos: 1 })));
  }

  const toInboxes = (ids: Iterable<string>, event: Event) =>
    Promise.all([...new Set(ids)].map((id) => publisher.publish(topics.inbox(id), event, { qos: 1 })));

  async function postMessage(input: PostInput): Promise<{ msg_id: string }> {
    const ref = parseConversationId(input.conversation_id);
    if (!ref) throw ApplicationFailure.nonRetryable(`bad conversation id "${input.conversation_id}"`, 'NotFound');
    const clean = (s: string) => (input.agent_output ? guards.filter(s) : s);
    const card = input.card && {
      ...input.card,
      title: clean(input.card.title),
      fields: input.card.fields.map((f) => ({ label: f.label, value: clean(f.value) })),
    };
    const { message, created } = await store.store({
      conversation_id: input.conversation_id,
      members: ref.kind === 'direct' ? ref.members : [],
      from: input.from,
      kind: input.system ? 'system' : card ? 'card' : 'text',
      body: {
        ...(input.text ? { text: clean(input.text) } : {}),
        mentions: input.mentions ?? [],
        attachments: [],
        ...(card ? { card } : {}),
        ...(input.notice ? { notice: input.notice } : {}),
      },
      client_msg_id: 'wf-' + createHash('sha256').update(`${input.workflow_id}:${input.key}`).digest('hex').slice(0, 40),
      workflow_id: input.workflow_id,
    });
    if (created) await publishToConversation(input.conversation_id, { v: 1, type: 'message', msg: message });
    return { msg_id: message.msg_id };
  }

  return { org, employee, activeEmployee, agentInfo, publishToConversation, toInboxes, postMessage };
}

export type Common = ReturnType<typeof commonParts>;
