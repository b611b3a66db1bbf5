import { z } from 'zod';
import { EmployeeId, EpochMs, GroupId, Id, isTopicId } from './ids.js';

/** `d:{a}:{b}` with the two employee ids sorted, or `g:{group_id}`. */
export function directConversationId(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}
export function groupConversationId(groupId: string): string {
  return `g:${groupId}`;
}

export type ConversationRef = { kind: 'direct'; members: [string, string] } | { kind: 'group'; groupId: string };

export function parseConversationId(id: string): ConversationRef | undefined {
  const direct = /^d:([^:]+):([^:]+)$/.exec(id);
  if (direct) {
    const [, a, b] = direct as unknown as [string, string, string];
    return isTopicId(a) && isTopicId(b) && a < b ? { kind: 'direct', members: [a, b] } : undefined;
  }
  const group = /^g:([^:]+)$/.exec(id);
  if (group && isTopicId(group[1]!)) return { kind: 'group', groupId: group[1]! };
  return undefined;
}

export const ConversationId = z
  .string()
  .max(140)
  .refine((v) => parseConversationId(v) !== undefined, 'must be d:{a}:{b} (sorted) or g:{group_id}');

export const MessageKind = z.enum(['text', 'card', 'file', 'system']);

export const Attachment = z.object({
  name: z.string().min(1).max(255),
  size: z.number().int().nonnegative(),
  type: z.string().min(1).max(128),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  /**
   * The upload (`POST /api/files`) this attachment is. Stored with the message; older messages
   * may lack it.
   */
  object_id: Id.optional(),
  /** A short-lived signed download link the gateway adds to each message it hands out; never stored. */
  url: z.string().max(2048).optional(),
});
export type Attachment = z.infer<typeof Attachment>;

/** A card is structured content an agent renders: a title, fields and optional actions. */
export const Card = z.object({
  title: z.string().min(1).max(256),
  fields: z.array(z.object({ label: z.string().max(128), value: z.string().max(1024) })).max(50).default([]),
  actions: z.array(z.object({ label: z.string().max(64), value: z.string().max(256) })).max(10).default([]),
});
export type Card = z.infer<typeof Card>;

export const MAX_TEXT_LENGTH = 8_000;

const MessageContent = z.object({
  text: z.string().max(MAX_TEXT_LENGTH).optional(),
  mentions: z.array(EmployeeId).max(100).default([]),
  quote_msg_id: Id.optional(),
  attachments: z.array(Attachment).max(20).default([]),
  card: Card.optional(),
});
const hasContent = (b: z.infer<typeof MessageContent>) => (b.text?.trim().length ?? 0) > 0 || b.attachments.length > 0 || b.card !== undefined;
const NEEDS_CONTENT = 'a message needs text, an attachment or a card';

export const MessageBody = MessageContent.refine(hasContent, { message: NEEDS_CONTENT, path: ['text'] });
export type MessageBody = z.infer<typeof MessageBody>;

const NoticeText = z.string().max(2_000);
/**
 * What a message the platform wrote (an approval asked for or decided, a hand-off) says, as data,
 * so each client words it in its reader's language; `text` keeps an English wording for the
 * rest. Only MChat's own workflows write one: `msg.send` drops it (MessageBody has no such field).
 */
export const Notice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('approval_requested'), approver_id: EmployeeId, summary: NoticeText, missed_id: EmployeeId.optional() }),
  z.object({ kind: z.literal('approval_decided'), approver_id: EmployeeId, decision: z.enum(['approve', 'reject']), summary: NoticeText, comment: NoticeText.optional() }),
  z.object({ kind: z.literal('approval_unanswered'), approver_id: EmployeeId, summary: NoticeText }),
  z.object({ kind: z.literal('handoff_started'), human_id: EmployeeId }),
  z.object({ kind: z.literal('handoff_unavailable') }),
  z.object({ kind: z.literal('handoff_released'), released_by: EmployeeId }),
  z.object({ kind: z.literal('handoff_escalated'), human_id: EmployeeId, missed_id: EmployeeId }),
]);
export type Notice = z.infer<typeof Notice>;

export const Message = z.object({
  msg_id: Id,
  conversation_id: ConversationId,
  seq: z.number().int().positive(),
  from: EmployeeId,
  ts: EpochMs,
  kind: MessageKind,
  /** Empty once recalled: the message keeps its place, not its content (see `visible`). */
  body: MessageContent.extend({ notice: Notice.optional() }),
  client_msg_id: Id,
  workflow_id: z.string().max(256).optional(),
  recalled: z.boolean().optional(),
  /** Who wrote the message `body.quote_msg_id` quotes, as the gateway found it: a reply to an agent addresses it. */
  quote_from: EmployeeId.optional(),
}).refine((m) => m.recalled === true || hasContent(m.body), { message: NEEDS_CONTENT, path: ['body', 'text'] });
export type Message = z.infer<typeof Message>;

/**
 * Whom a message goes to: a direct peer, a group, or a conversation by its id (how the colleague
 * who took a hand-off over writes into a conversation they are not a member of).
 */
export const Recipient = z.union([
  z.object({ direct: EmployeeId }).strict(),
  z.object({ group: GroupId }).strict(),
  z.object({ conversation: ConversationId }).strict(),
]);
export type Recipient = z.infer<typeof Recipient>;

/** A recalled message keeps its place (seq) but no longer its content. */
export function visible(m: Message): Message {
  return m.recalled ? { ...m, body: { mentions: [], attachments: [] } } : m;
}
