import { z } from 'zod';
import { EmployeeId, EpochMs, GroupId, Id } from './ids.js';
import { ConversationId, Message, MessageBody, Recipient } from './message.js';
import { CapabilityCard, Department, Group, PublicProfile } from './organisation.js';
import { ConversationSummary } from './conversation.js';
import { Handoff, Task, TaskState, WorkflowRun } from './agents.js';

/** The longest `msg.search` query, in UTF-16 code units after trimming. */
export const SEARCH_QUERY_MAX = 100;

/** Payload schemas of the ops the gateway serves; an op missing here answers E_NOT_FOUND. */
export const opPayloads = {
  'msg.send': z.object({ to: Recipient, client_msg_id: Id, body: MessageBody }),
  'msg.history': z.object({
    conversation_id: ConversationId,
    before_seq: z.number().int().positive().optional(),
    after_seq: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(200).default(50),
  }),
  'msg.sync': z.object({
    /** The last seq the client has of each conversation; conversations it does not name start at 0. */
    cursors: z.record(ConversationId, z.number().int().nonnegative()).default({}),
    limit: z.number().int().min(1).max(1_000).default(500),
  }),
  'msg.read': z.object({ conversation_id: ConversationId, seq: z.number().int().positive() }),
  'msg.readers': z.object({ conversation_id: ConversationId, seq: z.number().int().positive() }),
  'msg.recall': z.object({ msg_id: Id }),
  /**
   * Messages of the caller's conversations whose text contains `q` (case-insensitive, any
   * script: 退款 finds 我要退款), newest first; `cursor` is a page's `next_cursor`.
   */
  'msg.search': z.object({
    q: z.string().trim().min(1, 'give something to search for').max(SEARCH_QUERY_MAX),
    cursor: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(50).default(20),
  }),
  'conv.list': z.object({}),
  'org.tree': z.object({}),
  /** Members' own groups; `id` is generated when left out. The caller becomes the owner. */
  'group.create': z
    .object({ id: GroupId.optional(), name: z.string().min(1).max(128), members: z.array(EmployeeId).max(100_000).default([]) })
    .strict(),
  'group.get': z.object({ id: GroupId }),
  'group.add_members': z.object({ id: GroupId, members: z.array(EmployeeId).min(1).max(100_000) }),
  'group.remove_members': z.object({ id: GroupId, members: z.array(EmployeeId).min(1).max(100_000) }),
  'group.leave': z.object({ id: GroupId }),
  'group.dissolve': z.object({ id: GroupId }),
  /** What employees may change about themselves; the rest is the admins'. */
  'profile.update': z
    .object({
      name: z.string().min(1).max(128),
      avatar: z.string().max(1024),
      title: z.string().max(128),
      skills_badge: z.array(z.string().min(1).max(64)).max(64),
    })
    .partial()
    .strict()
    .refine((p) => Object.keys(p).length > 0, 'give at least one field to change'),
  'employee.get': z.object({ id: EmployeeId }),
  'employee.search': z.object({
    q: z.string().max(128).default(''),
    department: Id.optional(),
    skill: z.string().max(64).optional(),
  }),
  // --- agent work: capabilities, approval tasks, workflow state, hand-offs to humans ---
  'agent.capabilities': z.object({ skill: z.string().min(1).max(64).optional() }),
  /** The caller's approval tasks; pending ones unless `state` says otherwise. */
  'task.list': z.object({ state: TaskState.optional() }),
  'task.decide': z.object({ task_id: Id, decision: z.enum(['approve', 'reject']), comment: z.string().max(2_000).optional() }),
  'workflow.list': z.object({ conversation_id: ConversationId, limit: z.number().int().min(1).max(100).default(20) }),
  'workflow.get': z.object({ workflow_id: z.string().min(1).max(200) }),
  'handoff.request': z.object({ conversation_id: ConversationId, reason: z.string().max(2_000).optional() }),
  'handoff.release': z.object({ conversation_id: ConversationId }),
} as const;

export type OpName = keyof typeof opPayloads;
export type OpPayload<O extends OpName> = z.infer<(typeof opPayloads)[O]>;

export function isOpName(op: string): op is OpName {
  return Object.hasOwn(opPayloads, op);
}

// --- results: what `result` holds in the answer to each op ---------------------------------------

const Seq = z.number().int().positive();

export const SendResult = z.object({ msg_id: Id, conversation_id: ConversationId, seq: Seq, ts: EpochMs });
/** A page of messages in ascending seq order (`msg.history`), or conversation by conversation (`msg.sync`). */
export const MessagePage = z.object({ messages: z.array(Message), has_more: z.boolean() });
/** The seq marked read, as asked: the stored cursor itself never moves backwards. */
export const ReadResult = z.object({ conversation_id: ConversationId, seq: Seq });
export const ReadersResult = z.object({
  conversation_id: ConversationId,
  seq: Seq,
  read_count: z.number().int().nonnegative(),
  readers: z.array(EmployeeId),
});
/** The recalled message: it keeps its seq, not its content. */
export const RecallResult = z.object({ msg_id: Id, conversation_id: ConversationId, seq: Seq });
export const ConversationList = z.object({ conversations: z.array(ConversationSummary) });

/** Where a match is: `[start, end)` in UTF-16 code units, as JavaScript's string indices count. */
export const TextRange = z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() });
/** One message found by `msg.search`, with its conversation and where in its text the query is. */
export const SearchHit = z.object({
  message: Message,
  conversation: ConversationSummary.pick({ conversation_id: true, kind: true, title: true, peer_id: true, group_id: true }),
  highlight: z.object({
    /** The text around the first match (all of it when short), `…` where it was cut. */
    snippet: z.string(),
    /** Every match inside the snippet. */
    matches: z.array(TextRange),
  }),
});
/** Newest first; `next_cursor`, when there is more, asks for the next page. */
export const SearchResult = z.object({ hits: z.array(SearchHit), has_more: z.boolean(), next_cursor: z.string().optional() });

export const EmployeeResult = z.object({ employee: PublicProfile });
export const EmployeeList = z.object({ employees: z.array(PublicProfile) });
export const EmployeeCard = z.object({
  employee: PublicProfile,
  /** The managers above, nearest first. */
  reporting_line: z.array(z.object({ id: EmployeeId, name: z.string(), title: z.string() })),
});

export const OrgMember = z.object({
  id: EmployeeId, name: z.string(), title: z.string(), is_ai_agent: z.boolean(),
  /** Whom they report to: the reporting line the org chart draws. */
  manager_id: EmployeeId.nullable().default(null),
});
const { id, name, parent_id, head_id } = Department.shape;
export const TreeDepartment = z.object({
  id, name, parent_id, head_id,
  members: z.array(OrgMember),
  get children() {
    return z.array(TreeDepartment);
  },
});
/** Departments as a forest, each with its active members; people in no department come last. */
export const OrgTree = z.object({ departments: z.array(TreeDepartment), unassigned: z.array(OrgMember) });

export const GroupResult = z.object({ group: Group });

/** One skill: its card (as the first agent offering it, by id, describes it) and the active agents offering it. */
export const SkillAgents = z.object({ skill: Id, card: CapabilityCard, agents: z.array(PublicProfile) });
export const CapabilityList = z.object({ capabilities: z.array(SkillAgents) });

export const TaskList = z.object({ tasks: z.array(Task) });
export const TaskResult = z.object({ task: Task });
export const WorkflowList = z.object({ workflows: z.array(WorkflowRun) });
/** What a running workflow's `state` query answers; workflow code uses its plain type, in workflow.ts. */
const LiveState = z.object({
  status: WorkflowRun.shape.status,
  step: z.string(),
  hops: WorkflowRun.shape.hops,
  pending_task: Task.optional(),
  error: z.string().optional(),
});
/** The mirror, and what the running workflow itself says when it can be asked (`live`). */
export const WorkflowResult = z.object({ workflow: WorkflowRun.extend({ live: LiveState.optional() }) });
export const HandoffResult = z.object({ handoff: Handoff });

/** Result schemas of the ops, keyed as `opPayloads`: the gateway's handlers are typed by them. */
export const opResults = {
  'msg.send': SendResult,
  'msg.history': MessagePage,
  'msg.sync': MessagePage,
  'msg.read': ReadResult,
  'msg.readers': ReadersResult,
  'msg.recall': RecallResult,
  'msg.search': SearchResult,
  'conv.list': ConversationList,
  'org.tree': OrgTree,
  'group.create': GroupResult,
  'group.get': GroupResult,
  'group.add_members': GroupResult,
  'group.remove_members': GroupResult,
  'group.leave': GroupResult,
  'group.dissolve': GroupResult,
  'profile.update': EmployeeResult,
  'employee.get': EmployeeCard,
  'employee.search': EmployeeList,
  'agent.capabilities': CapabilityList,
  'task.list': TaskList,
  'task.decide': TaskResult,
  'workflow.list': WorkflowList,
  'workflow.get': WorkflowResult,
  'handoff.request': HandoffResult,
  'handoff.release': HandoffResult,
} as const satisfies Record<OpName, z.ZodType>;

/** What the gateway answers to `O`: the output side of its schema, as the gateway writes it. */
export type OpResult<O extends OpName> = z.output<(typeof opResults)[O]>;
