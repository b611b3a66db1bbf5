import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ulid } from 'ulid';
import {
  AgentReply, conversationTopics, directConversationId, parseConversationId, SIGNATURE_HEADER, TIMESTAMP_HEADER, topics, visible,
  type AgentRequest, type AuditEntry, type Department, type Employee, type Event, type Handoff, type Message, type Relay, type Task,
  type WorkflowRun,
} from '../schemas/index.js';
import { Batcher } from '../store/batching.js';
import { insertAll, isDuplicateKey, keyedCollection, upsertAll, type KeyedUpsert } from '../store/bulk.js';
import { credentialOf } from '../store/credentials.js';
import type { Models } from '../store/db.js';
import type { Locks } from '../store/locks.js';
import { orgCache } from '../store/org-cache.js';
import type { MessageStore } from '../store/messages.js';
import type { Publisher } from '../store/publisher.js';
import { signBody } from '../lib/signing.js';
import type {
  AgentInfo, CallOutcome, DecisionInput, HandoffInput, LoadedInteraction, LoadInput, PostInput, Prompt,
} from '../schemas/workflow.js';

/** Per-agent rate limit and the sensitive-word filter on agent output (lib/guards.ts in the worker). */
export interface AgentGuards {
  take(agentId: string): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
  filter(text: string): string;
}

export const NO_GUARDS: AgentGuards = { take: async () => ({ ok: true }), filter: (text) => text };

export interface ActivityDeps {
  m: Models;
  store: MessageStore;
  publisher: Publisher;
  guards?: AgentGuards;
  /** How long an approver has before the task goes to their manager. */
  approvalTimeoutMs?: number;
  /** Takes hand-offs from agents without a manager. */
  onDutyEmployee?: string;
  /** Keeps two hand-offs of one conversation from both opening. */
  locks?: Locks;
}

/** Runs the work unguarded: one process, or tests. */
const NO_LOCKS: Locks = { hold: async (_key, _holder, work) => ({ ok: true, value: await work() }) };

/** A workflow's visible state as an update of its mirror document. */
function mirroring(run: WorkflowRun): KeyedUpsert {
  // A task decided or an error cleared must not linger in the mirror.
  const cleared = Object.fromEntries((['pending_task_id', 'error'] as const).filter((k) => run[k] === undefined).map((k) => [k, '']));
  const update = Object.keys(cleared).length ? { $set: run, $unset: cleared } : { $set: run };
  return { id: run.workflow_id, update, legacy: { filter: { workflow_id: run.workflow_id }, update } };
}

/** One visible state of a workflow; `first` when it is the workflow's first. */
interface Report {
  run: WorkflowRun;
  first: boolean;
}

/**
 * Writes workflows' visible states to their mirror documents. A workflow's first report creates
 * its document with an insert, which FerretDB does without the scan every update costs; a first
 * report whose document exists (the step run again, or a document an older version wrote) becomes
 * an update like the others.
 */
async function writeMirror(m: Models, reports: readonly Report[]): Promise<void> {
  const collection = keyedCollection(m.WorkflowRun);
  const fresh = reports.filter((r) => r.first);
  const outcomes = fresh.length ? await insertAll(collection, fresh.map(({ run }) => ({ _id: run.workflow_id, ...run }))) : [];
  const failed = outcomes.find((o) => o instanceof Error);
  if (failed) throw failed;
  const inserted = new Set(fresh.filter((_, i) => outcomes[i] === undefined));
  await upsertAll(collection, reports.filter((r) => !inserted.has(r)).map((r) => mirroring(r.run)));
}

/** How many earlier messages of the conversation an agent is given with the question. */
const CONTEXT_MESSAGES = 3;

export function createActivities({ m, store, publisher, guards = NO_GUARDS, approvalTimeoutMs = 24 * 3600_000, onDutyEmployee, locks = NO_LOCKS }: ActivityDeps) {
  // Every interaction reads its agent and asker; the directory cache makes that one batched
  // query per moment instead of a scan each on FerretDB, at the price of ORG_CACHE_TTL_MS staleness.
  const org = orgCache(m);
  // Every workflow mirrors each step; the steps of concurrent workflows go out in shared commands.
  const mirror = new Batcher<Report, undefined>(async (reports) => {
    await writeMirror(m, reports);
    return reports.map(() => undefined);
  });

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

  async function publishToConversation(conversationId: string, event: Event): Promise<void> {
    const ref = parseConversationId(conversationId);
    if (!ref) throw ApplicationFailure.nonRetryable(`bad conversation id "${conversationId}"`, 'NotFound');
    await Promise.all(conversationTopics(ref).map((t) => publisher.publish(t, event, { qos: 1 })));
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
      },
      client_msg_id: 'wf-' + createHash('sha256').update(`${input.workflow_id}:${input.key}`).digest('hex').slice(0, 40),
      workflow_id: input.workflow_id,
    });
    if (created) await publishToConversation(input.conversation_id, { v: 1, type: 'message', msg: message });
    return { msg_id: message.msg_id };
  }

  /** The 3 messages before `message`, oldest first: remembered in Redis, else from the database. */
  async function lastMessages(message: Message): Promise<Message[]> {
    const remembered = await store.recent?.before(message, CONTEXT_MESSAGES);
    if (remembered) return remembered;
    const earlier = await m.Message.find({ conversation_id: message.conversation_id, seq: { $lt: message.seq } }, { _id: 0 })
      .sort({ seq: -1 })
      .limit(CONTEXT_MESSAGES)
      .lean<Message[]>();
    return earlier.reverse();
  }

  /** Stored, not yet announced: see announceTask. */
  async function newTask(task: Task): Promise<Task> {
    try {
      await m.Task.create(task);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    return (await m.Task.findOne({ task_id: task.task_id }, { _id: 0 }).lean<Task>())!;
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
      const [agent, asker, earlier, relay, handoff] = await Promise.all([
        employee(input.agent_id),
        employee(message.from),
        lastMessages(message),
        input.relay ? m.Relay.findOne(input.relay, { _id: 0 }).lean<Relay>() : null,
        m.Handoff.exists({ conversation_id: message.conversation_id, state: 'active' }),
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
     * errors and 5xx are thrown to be retried. 202 means the agent will post its answer back.
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

    /** The WorkflowRun mirror, and the `workflow` event on the conversation's topics. */
    async reportWorkflow(run: WorkflowRun, first = false): Promise<void> {
      await mirror.add({ run, first });
      const { workflow_id, conversation_id, status, step } = run;
      await publishToConversation(conversation_id, { v: 1, type: 'workflow', workflow_id, conversation_id, status, step });
    },

    /** A pending task for the approver (announced by announceTask). */
    async openTask(input: Omit<Task, 'state' | 'created_at' | 'due_at' | 'decision' | 'escalated_from'>): Promise<Task> {
      const approver = await activeEmployee(input.approver_id);
      if (!approver || approver.is_ai_agent) throw ApplicationFailure.nonRetryable(`"${input.approver_id}" is not an active colleague`, 'NoApprover');
      const now = Date.now();
      const task: Task = { ...input, state: 'pending', created_at: now, due_at: now + approvalTimeoutMs };
      return newTask(task);
    },

    /**
     * Tells the approver, in the chat and in their inbox. The workflow calls this only once it
     * waits for the decision, so an approver who answers at once is never refused.
     */
    async announceTask(task: Task): Promise<void> {
      const [approver, before] = await Promise.all([
        employee(task.approver_id),
        task.escalated_from ? m.Task.findOne({ task_id: task.escalated_from }, { approver_id: 1 }).lean<Pick<Task, 'approver_id'>>() : null,
      ]);
      const missed = before ? `${(await employee(before.approver_id)).name} did not answer in time; ` : '';
      await postMessage({
        from: task.requested_by, conversation_id: task.conversation_id, workflow_id: task.workflow_id, key: `task:${task.task_id}`,
        text: `@${approver.id} ${missed}${approver.name}, please approve or reject: ${task.summary}`, mentions: [approver.id],
      });
      await toInboxes([approver.id], { v: 1, type: 'task', task });
    },

    /** Records the approver's decision (once), audits it, tells asker and approver, and says it in the chat. */
    async decideTask({ task, decision }: { task: Task; decision: DecisionInput }): Promise<Task> {
      const state = decision.decision === 'approve' ? 'approved' : 'rejected';
      const now = Date.now();
      const record = { by: decision.by, decision: decision.decision, ts: now, ...(decision.comment ? { comment: decision.comment } : {}) };
      await m.Task.updateOne({ task_id: task.task_id, state: 'pending' }, { $set: { state, decision: record } });
      const decided = (await m.Task.findOne({ task_id: task.task_id }, { _id: 0 }).lean<Task>())!;
      if (!(await m.Audit.exists({ op: 'task.decide', target: task.task_id }))) {
        await m.Audit.create({
          audit_id: ulid(), ts: now, actor: decision.by, op: 'task.decide', target: task.task_id, ok: true,
          before: { state: 'pending' }, after: { state: decided.state, comment: decided.decision?.comment }, via: decision.via,
        } satisfies AuditEntry);
      }
      const approver = await employee(decision.by);
      const verdict = decided.state === 'approved' ? 'approved' : 'rejected';
      await postMessage({
        from: task.requested_by, conversation_id: task.conversation_id, workflow_id: task.workflow_id, key: `decided:${task.task_id}`,
        text: `${approver.name} ${verdict} "${task.summary}"${decided.decision?.comment ? `: ${decided.decision.comment}` : '.'}`,
        system: true,
      });
      await toInboxes([task.asker_id, task.approver_id], { v: 1, type: 'task', task: decided });
      return decided;
    },

    /**
     * The approver did not answer in time: the task is escalated and a new one goes to their
     * manager; with no manager the request ends, and the chat is told so (null).
     */
    async escalateTask({ task, task_id }: { task: Task; task_id: string }): Promise<Task | null> {
      await m.Task.updateOne({ task_id: task.task_id, state: 'pending' }, { $set: { state: 'escalated' } });
      const escalated = (await m.Task.findOne({ task_id: task.task_id }, { _id: 0 }).lean<Task>())!;
      const approver = await employee(task.approver_id);
      const manager = await activeEmployee(approver.manager_id);
      await toInboxes([task.approver_id], { v: 1, type: 'task', task: escalated });
      if (!manager) {
        await postMessage({
          from: task.requested_by, conversation_id: task.conversation_id, workflow_id: task.workflow_id, key: `no-escalation:${task.task_id}`,
          text: `${approver.name} did not answer in time and there is nobody above them to ask, so "${task.summary}" is not approved. Please follow up in person.`,
          system: true,
        });
        return null;
      }
      const now = Date.now();
      return newTask({ ...task, task_id, approver_id: manager.id, state: 'pending', escalated_from: task.task_id, created_at: now, due_at: now + approvalTimeoutMs });
    },

    /**
     * Hands the conversation to a human: the agent's manager, else the on-duty colleague. They get
     * a direct message from the agent with the summary and the last messages; the conversation is
     * marked handed off (one active hand-off per conversation) and everyone is told.
     */
    async openHandoff(input: HandoffInput): Promise<Handoff> {
      // Two requests at once (the person's command and the agent's, say) must not both find none.
      const opened = await locks.hold(`handoff:${input.conversation_id}`, input.workflow_id, async () => {
        const already = await m.Handoff.findOne({ $or: [{ workflow_id: input.workflow_id }, { conversation_id: input.conversation_id, state: 'active' }] }, { _id: 0 }).lean<Handoff>();
        if (already) return already;
        const agent = await employee(input.agent_id);
        const human = (await activeEmployee(agent.manager_id)) ?? (await activeEmployee(onDutyEmployee));
        if (!human || human.is_ai_agent) throw ApplicationFailure.nonRetryable('no manager or on-duty colleague to hand over to', 'NoHuman');
        const asker = await employee(input.asker_id);
        const handoff: Handoff = {
          conversation_id: input.conversation_id, human_id: human.id, agent_id: agent.id, requested_by: input.requested_by,
          asker_id: asker.id, reason: input.reason, workflow_id: input.workflow_id, state: 'active', since: Date.now(),
        };
        await m.Handoff.create(handoff);
        return handoff;
      });
      if (!opened.ok) throw ApplicationFailure.retryable('another hand-off of this conversation is being opened', 'HandoffBusy');
      const handoff = opened.value;
      // Another's hand-off, or this one's again (a retry): the posts below are keyed, so they go once.
      if (handoff.workflow_id !== input.workflow_id) return handoff;
      const [agent, human, asker] = await Promise.all([employee(input.agent_id), employee(handoff.human_id), employee(handoff.asker_id)]);
      const last = await m.Message.find({ conversation_id: input.conversation_id }, { _id: 0 }).sort({ seq: -1 }).limit(5).lean<Message[]>();
      const lines = last.reverse().map((msg) => `- ${msg.from}: ${msg.recalled ? '(recalled)' : (msg.body.text ?? msg.body.card?.title ?? '(attachment)')}`);
      await postMessage({
        from: agent.id, conversation_id: directConversationId(agent.id, human.id), workflow_id: input.workflow_id, key: 'handoff-summary',
        text: `${asker.name} needs a colleague in ${input.conversation_id}${input.reason ? ` (${input.reason})` : ''}. ` +
          `I will stay quiet there until it is released. Last messages:\n${lines.join('\n')}`,
        mentions: [asker.id],
      });
      await postMessage({
        from: agent.id, conversation_id: input.conversation_id, workflow_id: input.workflow_id, key: 'handoff-notice',
        text: `I have asked ${human.name} to take over; they will get in touch with you. I will stay quiet here until then.`,
        system: true,
      });
      const event = { v: 1, type: 'handoff', handoff } satisfies Event;
      await publishToConversation(input.conversation_id, event);
      await toInboxes([human.id], event);
      return handoff;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
