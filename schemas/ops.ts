import { z } from 'zod';
import { EmployeeId, GroupId, Id } from './ids.js';
import { ConversationId, MessageBody, Recipient } from './message.js';
import { TaskState } from './agents.js';

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
