import mongoose, { Schema, type Connection } from 'mongoose';
import type { AuditEntry, Employee, Department, Group, Message } from '../schemas/index.js';

/**
 * One connection per process. Only the subset of MongoDB that FerretDB 1.x also serves is used:
 * unique indexes, upserts and `$inc` counters instead of transactions.
 */
export async function connectDb(url: string): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    // Fail fast instead of queueing when the database is down: the caller answers E_UNAVAILABLE.
    bufferCommands: false,
    serverSelectionTimeoutMS: 3_000,
    heartbeatFrequencyMS: 2_000,
  });
  await conn.asPromise();
  await Promise.all(Object.values(models(conn)).map((m) => m.createIndexes()));
  return conn;
}

const strict = { versionKey: false, strict: 'throw' } as const;

const AgentProfileSchema = new Schema(
  {
    model_type: String,
    capabilities: [String],
    trigger_keywords: [String],
    webhook_endpoint: String,
    response_timeout: Number,
    auto_join_groups: [String],
  },
  { _id: false },
);

const EmployeeSchema = new Schema<Employee>(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    avatar: String,
    title: { type: String, default: '' },
    department_id: { type: String, default: null, index: true },
    manager_id: { type: String, default: null },
    skills_badge: { type: [String], default: [] },
    role: { type: String, default: 'member' },
    status: { type: String, default: 'active' },
    is_ai_agent: { type: Boolean, default: false },
    agent_profile: { type: AgentProfileSchema, default: undefined },
    created_at: Number,
  },
  strict,
);

/** Credentials live apart from profiles so that no profile query can ever leak them. */
export interface CredentialDoc {
  employee_id: string;
  password_hash?: string;
  /** Agents' webhook signing secret: needed in clear to compute the HMAC. */
  api_secret?: string;
}
const CredentialSchema = new Schema<CredentialDoc>(
  {
    employee_id: { type: String, required: true, unique: true },
    password_hash: String,
    api_secret: String,
  },
  strict,
);

const DepartmentSchema = new Schema<Department>(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    parent_id: { type: String, default: null },
    head_id: { type: String, default: null },
  },
  strict,
);

const GroupSchema = new Schema<Group>(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    owner_id: { type: String, required: true },
    members: { type: [String], index: true },
    created_at: Number,
    dissolved: { type: Boolean, default: false },
  },
  strict,
);

const MessageSchema = new Schema<Message>(
  {
    msg_id: { type: String, required: true, unique: true },
    conversation_id: { type: String, required: true },
    seq: { type: Number, required: true },
    from: { type: String, required: true },
    ts: { type: Number, required: true },
    kind: { type: String, required: true },
    body: { type: Schema.Types.Mixed, required: true },
    client_msg_id: { type: String, required: true },
    workflow_id: String,
    recalled: Boolean,
  },
  strict,
);
// Gap-free order per conversation, and the idempotency key of `msg.send`.
MessageSchema.index({ conversation_id: 1, seq: 1 }, { unique: true });
MessageSchema.index({ from: 1, client_msg_id: 1 }, { unique: true });

/** One document per conversation: the last assigned `seq` and who takes part. */
export interface ConversationDoc {
  conversation_id: string;
  last_seq: number;
  last_ts: number;
  members: string[];
}
const ConversationSchema = new Schema<ConversationDoc>(
  {
    conversation_id: { type: String, required: true, unique: true },
    last_seq: { type: Number, default: 0 },
    last_ts: { type: Number, default: 0 },
    members: { type: [String], index: true },
  },
  strict,
);

/** How far an employee has read a conversation: everything up to `seq`. */
export interface ReadCursorDoc {
  conversation_id: string;
  employee_id: string;
  seq: number;
}
const ReadCursorSchema = new Schema<ReadCursorDoc>(
  {
    conversation_id: { type: String, required: true },
    employee_id: { type: String, required: true, index: true },
    seq: { type: Number, required: true },
  },
  strict,
);
ReadCursorSchema.index({ conversation_id: 1, employee_id: 1 }, { unique: true });

const AuditSchema = new Schema<AuditEntry>(
  {
    audit_id: { type: String, required: true, unique: true },
    ts: { type: Number, required: true, index: true },
    actor: { type: String, required: true, index: true },
    op: { type: String, required: true, index: true },
    target: { type: String, default: null, index: true },
    ok: { type: Boolean, required: true },
    error: { type: Schema.Types.Mixed },
    before: { type: Schema.Types.Mixed },
    after: { type: Schema.Types.Mixed },
    via: { type: String, required: true },
  },
  strict,
);

/** An uploaded file: the object store holds the bytes under `object_id`, this what they are and whose. */
export interface FileDoc {
  object_id: string;
  owner: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
  created_at: number;
}
const FileSchema = new Schema<FileDoc>(
  {
    object_id: { type: String, required: true, unique: true },
    owner: { type: String, required: true, index: true },
    name: { type: String, required: true },
    size: { type: Number, required: true },
    type: { type: String, required: true },
    sha256: { type: String, required: true },
    created_at: { type: Number, required: true },
  },
  strict,
);

function build(conn: Connection) {
  return {
    Employee: conn.model<Employee>('Employee', EmployeeSchema, 'employees'),
    Credential: conn.model<CredentialDoc>('Credential', CredentialSchema, 'credentials'),
    Department: conn.model<Department>('Department', DepartmentSchema, 'departments'),
    Group: conn.model<Group>('Group', GroupSchema, 'groups'),
    Message: conn.model<Message>('Message', MessageSchema, 'messages'),
    Conversation: conn.model<ConversationDoc>('Conversation', ConversationSchema, 'conversations'),
    Audit: conn.model<AuditEntry>('Audit', AuditSchema, 'audit'),
    ReadCursor: conn.model<ReadCursorDoc>('ReadCursor', ReadCursorSchema, 'read_cursors'),
    File: conn.model<FileDoc>('File', FileSchema, 'files'),
  };
}
export type Models = ReturnType<typeof build>;

const cache = new WeakMap<Connection, Models>();

export function models(conn: Connection): Models {
  let m = cache.get(conn);
  if (!m) cache.set(conn, (m = build(conn)));
  return m;
}
