import mongoose, { Schema, type Connection } from 'mongoose';
import type { AuditEntry, Employee, Department, Group, Message } from '../schemas/index.js';
import type { Handoff, Relay, Task, WorkflowRun } from '../schemas/agents.js';

/**
 * One connection per process. Only the subset of MongoDB that FerretDB 1.x also serves is used:
 * unique indexes and upserts, no transactions (see the README's "Local servers" for what keeps
 * concurrent writes safe).
 */
export async function connectDb(url: string): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    // Fail fast instead of queueing when the database is down: the caller answers E_UNAVAILABLE.
    bufferCommands: false,
    serverSelectionTimeoutMS: 3_000,
    heartbeatFrequencyMS: 2_000,
    // The indexes are made once, below. mongoose's own automatic build would race that one, and
    // on FerretDB two concurrent builds leave the same index twice.
    autoIndex: false,
  });
  await conn.asPromise();
  const m = models(conn);
  await Promise.all(Object.values(m).map((model) => model.createIndexes()));
  // Groups by member. MongoDB indexes each member of the array; FerretDB indexes the whole array
  // as one entry, which PostgreSQL refuses beyond 2,704 bytes (a group of about 250), and never
  // uses for a query anyway (README, "Local servers").
  if (!(await isFerretDb(conn))) await m.Group.collection.createIndex({ members: 1 });
  else if (await m.Group.collection.indexExists('members_1')) await m.Group.collection.dropIndex('members_1'); // an older version made it
  return conn;
}

/** FerretDB names its own version in `buildInfo`; MongoDB has no such field. */
async function isFerretDb(conn: Connection): Promise<boolean> {
  const info = await conn.db!.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

const strict = { versionKey: false, strict: 'throw' } as const;

const AgentProfileSchema = new Schema(
  {
    model_type: String,
    // Cards ({ id, name, … }); documents from before cards hold ids.
    capabilities: [Schema.Types.Mixed],
    trigger_keywords: [String],
    webhook_endpoint: String,
    response_timeout: Number,
    auto_join_groups: [String],
  },
  { _id: false },
);

/**
 * Employees, groups, messages, conversations and read cursors are keyed by a string of their own
 * (`_id` = id, …): `_id` equality is the one filter FerretDB 1.x (SQLite) hands to SQL instead of
 * decoding the whole collection, and its unique index is what inserts are checked against.
 * Documents older versions wrote keep their ObjectId and are found by their other unique fields.
 */
function keyedBy<T>(schema: Schema<T>, key: (doc: T) => string): void {
  schema.path('_id', { type: String, default(this: T) { return key(this); } });
}

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

// Read at every login and agent call: by `_id`, FerretDB's one lookup without a scan.
keyedBy(CredentialSchema, (c) => c.employee_id);

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
    // Indexed in connectDb, and only on MongoDB (see there).
    members: { type: [String] },
    created_at: Number,
    dissolved: { type: Boolean, default: false },
  },
  strict,
);

keyedBy(EmployeeSchema, (e) => e.id);
keyedBy(GroupSchema, (g) => g.id);

let orgWrites = 0;
/**
 * Counts the writes this process made to employees and groups, whichever code made them: caches of
 * those (store/org-cache.ts) drop what they read before the last one.
 */
export const orgVersion = (): number => orgWrites;
const orgChanged = () => void orgWrites++;
for (const schema of [EmployeeSchema, GroupSchema] as Schema[]) {
  schema.post(['updateOne', 'updateMany', 'replaceOne', 'findOneAndUpdate', 'findOneAndReplace', 'deleteOne', 'deleteMany', 'findOneAndDelete'], orgChanged);
  schema.post('save', orgChanged);
  schema.post('insertMany', orgChanged);
  schema.post('bulkWrite', orgChanged);
}

/**
 * A message's `_id` is its idempotency key, sender + client_msg_id (ids never hold a `/`): the
 * unique `_id` index refuses a retry, and inserting is the one write FerretDB does without a scan.
 */
export const messageKey = (from: string, clientMsgId: string): string => `${from}/${clientMsgId}`;

/**
 * A message as stored: `block` narrows a page's rows on the local FerretDB (see pages.ts), and
 * `day` (whole UTC days since 1970) lets the cockpit count a day with an equality, the one filter
 * FerretDB hands to PostgreSQL's indexes (absent on messages stored before it existed).
 */
export type StoredMessage = Message & { block: number; day?: number };

const MessageSchema = new Schema<StoredMessage>(
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
    quote_from: String,
    block: { type: Number, required: true },
    day: Number,
  },
  strict,
);
keyedBy(MessageSchema, (m) => messageKey(m.from, m.client_msg_id));
// Gap-free order per conversation. Databases older versions created also hold a unique
// { from, client_msg_id } index, the idempotency key before `_id` took that role (see messages.ts).
MessageSchema.index({ conversation_id: 1, seq: 1 }, { unique: true });
MessageSchema.index({ day: 1, from: 1 });

/**
 * One document per conversation (`_id` = conversation_id): who takes part, written once with its
 * first message and never changed. Its seqs are counted in Redis (seqs.ts).
 */
export interface ConversationDoc {
  conversation_id: string;
  members: string[];
}
const ConversationSchema = new Schema<ConversationDoc>(
  {
    conversation_id: { type: String, required: true, unique: true },
    members: { type: [String], index: true },
  },
  strict,
);
keyedBy(ConversationSchema, (c) => c.conversation_id);

/** How far an employee has read a conversation: everything up to `seq`. */
export interface ReadCursorDoc {
  conversation_id: string;
  employee_id: string;
  seq: number;
}
export const cursorKey = (employeeId: string, conversationId: string): string => `${employeeId}/${conversationId}`;

const ReadCursorSchema = new Schema<ReadCursorDoc>(
  {
    conversation_id: { type: String, required: true },
    employee_id: { type: String, required: true, index: true },
    seq: { type: Number, required: true },
  },
  strict,
);
ReadCursorSchema.index({ conversation_id: 1, employee_id: 1 }, { unique: true });
keyedBy(ReadCursorSchema, (c) => cursorKey(c.employee_id, c.conversation_id));

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

// --- agent work: mirrors of workflows, approval tasks, hand-offs, named relays ------------------
// Nested structures are Mixed: the zod schemas in schemas/agents.ts are their definition.

const WorkflowRunSchema = new Schema<WorkflowRun>(
  {
    workflow_id: { type: String, required: true, unique: true },
    kind: { type: String, required: true },
    conversation_id: { type: String, required: true },
    msg_id: String,
    started_by: String,
    status: { type: String, required: true },
    step: { type: String, required: true },
    hops: { type: Schema.Types.Mixed, default: [] },
    relay: Schema.Types.Mixed,
    pending_task_id: String,
    error: String,
    started_at: { type: Number, required: true },
    updated_at: { type: Number, required: true },
  },
  strict,
);
WorkflowRunSchema.index({ conversation_id: 1, started_at: -1 });
// Mirrored at every step of every workflow: an update by `_id` is the one FerretDB does without a scan.
keyedBy(WorkflowRunSchema, (r) => r.workflow_id);

const TaskSchema = new Schema<Task>(
  {
    task_id: { type: String, required: true, unique: true },
    workflow_id: { type: String, required: true },
    conversation_id: { type: String, required: true },
    approver_id: { type: String, required: true },
    requested_by: { type: String, required: true },
    asker_id: { type: String, required: true },
    summary: { type: String, default: '' },
    state: { type: String, required: true },
    decision: Schema.Types.Mixed,
    escalated_from: String,
    created_at: { type: Number, required: true },
    due_at: { type: Number, required: true },
  },
  strict,
);
TaskSchema.index({ approver_id: 1, state: 1, created_at: -1 });

const HandoffSchema = new Schema<Handoff>(
  {
    workflow_id: { type: String, required: true, unique: true },
    conversation_id: { type: String, required: true, index: true },
    human_id: { type: String, required: true },
    agent_id: String,
    requested_by: { type: String, required: true },
    asker_id: { type: String, required: true },
    reason: { type: String, default: '' },
    state: { type: String, required: true },
    since: { type: Number, required: true },
    released_at: Number,
    released_by: String,
  },
  strict,
);

const RelaySchema = new Schema<Relay>(
  {
    relay_id: { type: String, required: true },
    version: { type: Number, required: true },
    name: { type: String, required: true },
    steps: { type: Schema.Types.Mixed, required: true },
    created_by: { type: String, required: true },
    created_at: { type: Number, required: true },
  },
  strict,
);
// Two admins saving at once collide here, and the later one retries with the next version.
RelaySchema.index({ relay_id: 1, version: 1 }, { unique: true });

function build(conn: Connection) {
  return {
    Employee: conn.model<Employee>('Employee', EmployeeSchema, 'employees'),
    Credential: conn.model<CredentialDoc>('Credential', CredentialSchema, 'credentials'),
    Department: conn.model<Department>('Department', DepartmentSchema, 'departments'),
    Group: conn.model<Group>('Group', GroupSchema, 'groups'),
    Message: conn.model<StoredMessage>('Message', MessageSchema, 'messages'),
    Conversation: conn.model<ConversationDoc>('Conversation', ConversationSchema, 'conversations'),
    Audit: conn.model<AuditEntry>('Audit', AuditSchema, 'audit'),
    ReadCursor: conn.model<ReadCursorDoc>('ReadCursor', ReadCursorSchema, 'read_cursors'),
    File: conn.model<FileDoc>('File', FileSchema, 'files'),
    WorkflowRun: conn.model<WorkflowRun>('WorkflowRun', WorkflowRunSchema, 'workflow_runs'),
    Task: conn.model<Task>('Task', TaskSchema, 'tasks'),
    Handoff: conn.model<Handoff>('Handoff', HandoffSchema, 'handoffs'),
    Relay: conn.model<Relay>('Relay', RelaySchema, 'relays'),
  };
}
export type Models = ReturnType<typeof build>;

const cache = new WeakMap<Connection, Models>();

export function models(conn: Connection): Models {
  let m = cache.get(conn);
  if (!m) cache.set(conn, (m = build(conn)));
  return m;
}
