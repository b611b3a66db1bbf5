import { z } from 'zod';
import { AuditEntry, ImportReport, type AdminOpName } from './admin.js';
import { ErrorBody } from './envelope.js';
import { Presence } from './events.js';
import { EmployeeId, EpochMs, Id } from './ids.js';
import { Attachment } from './message.js';
import { Department, Group, PublicProfile } from './organisation.js';
import { Handoff, Relay, Schedule, Task, TaskState, WorkflowRun } from './agents.js';

/**
 * Bodies of the gateway's HTTP API that the MQTT protocol does not define already. The protocol's
 * own schemas (op payloads, ErrorBody, Department, Group, AuditEntry…) are reused as they are;
 * `scripts/openapi.ts` turns both into `docs/openapi.json`.
 */

/** Every HTTP error: the protocol's error body, with the status its code stands for. */
export const HttpError = z.object({ error: ErrorBody });
export type HttpError = z.infer<typeof HttpError>;

// --- health -------------------------------------------------------------------------------------

export const DependencyHealth = z.object({
  status: z.enum(['up', 'down']),
  latency_ms: z.number().int().nonnegative(),
  error: z.string().optional(),
});
export const HealthReport = z.object({
  status: z.enum(['ok', 'degraded']),
  dependencies: z.object({ broker: DependencyHealth, temporal: DependencyHealth, database: DependencyHealth, redis: DependencyHealth }),
});

// --- login --------------------------------------------------------------------------------------

export const LoginRequest = z.object({ employee_id: EmployeeId, password: z.string().min(1).max(1024) });

export const LoginResult = z.object({ token: z.string().min(1), expires_at: EpochMs, employee: PublicProfile });
export const MeResult = z.object({ employee: PublicProfile });

// --- EMQX HTTP authentication and authorization (internal) --------------------------------------

export const EmqxAuthnRequest = z.object({ username: z.string(), password: z.string(), clientid: z.string() });
export const EmqxAuthzRequest = z.object({
  username: z.string(), clientid: z.string(), topic: z.string(), action: z.enum(['publish', 'subscribe']),
});
const Verdict = z.enum(['allow', 'deny']);
export const EmqxAuthnResult = z.object({ result: Verdict, is_superuser: z.boolean() });
export const EmqxAuthzResult = z.object({ result: Verdict });

// --- directory and presence ---------------------------------------------------------------------

export const EmployeeList = z.object({ employees: z.array(PublicProfile) });
export const EmployeeCard = z.object({
  employee: PublicProfile,
  /** The managers above, nearest first. */
  reporting_line: z.array(z.object({ id: EmployeeId, name: z.string(), title: z.string() })),
});

export const OrgMember = z.object({ id: EmployeeId, name: z.string(), title: z.string(), is_ai_agent: z.boolean() });
const { id, name, parent_id, head_id } = Department.shape;
export const TreeDepartment = z.object({
  id, name, parent_id, head_id,
  members: z.array(OrgMember),
  get children() {
    return z.array(TreeDepartment);
  },
});
export const OrgTree = z.object({ departments: z.array(TreeDepartment), unassigned: z.array(OrgMember) });

export const PresenceQuery = z.object({
  ids: z.string().min(1).describe('employee ids, comma separated, at most 500'),
});
/** Everyone asked for; someone never seen is `{ state: "offline", ts: 0 }`. */
export const PresenceMap = z.object({ presence: z.record(z.string(), Presence) });

// --- files --------------------------------------------------------------------------------------

export const UploadQuery = z.object({
  // eslint-disable-next-line no-control-regex -- keeping control characters out is what it is for
  name: z.string().min(1).max(255).regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters')
    .describe('The file name, as recipients will see and save it.'),
});
/** What `POST /api/files` stored: give `object_id` and `sha256` back in a message's attachment. */
export const UploadResult = z.object({
  object_id: Id,
  name: Attachment.shape.name,
  size: Attachment.shape.size,
  type: Attachment.shape.type,
  sha256: Attachment.shape.sha256,
});
export const FileParams = z.object({ object_id: Id });
/** The signed part of a file link; the gateway writes both, clients only follow the link. */
export const FileLinkQuery = z.object({
  exp: z.string().regex(/^\d{1,12}$/).describe('When the link stops working, epoch seconds.'),
  sig: z.string().max(128).describe('HMAC-SHA256 of `{object_id}.{exp}` by the gateway, base64url.'),
});

// --- admin op results (the HTTP body is the op's result) ----------------------------------------

export const EmployeeResult = z.object({ employee: PublicProfile });
export const AgentCreated = z.object({
  employee: PublicProfile,
  /** Signs the agent's webhook calls; shown this once. */
  api_secret: z.string().min(1),
});
export const DepartmentResult = z.object({ department: Department });
export const GroupResult = z.object({ group: Group });
export const AuditPage = z.object({ entries: z.array(AuditEntry), has_more: z.boolean() });
/** Over MQTT; HTTP sends `data` itself as a file download. */
export const AuditExport = z.object({ format: z.enum(['csv', 'ndjson']), count: z.number().int().nonnegative(), data: z.string() });

// --- agent work: relays, approval tasks, workflows, hand-offs, agent callbacks -------------------

export const RelayResult = z.object({ relay: Relay });
export const RelayList = z.object({ relays: z.array(Relay) });
export const ScheduleResult = z.object({ schedule: Schedule });
export const ScheduleList = z.object({ schedules: z.array(Schedule) });
export const TaskList = z.object({ tasks: z.array(Task) });
export const TaskResult = z.object({ task: Task });
export const TaskListQuery = z.object({ state: TaskState.optional() });
export const TaskParams = z.object({ id: Id });
export const TaskDecision = z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(2_000).optional() });
export const WorkflowList = z.object({ workflows: z.array(WorkflowRun) });
/** The mirror, and what the running workflow itself says when it can be asked (`live`). */
export const WorkflowResult = z.object({
  workflow: WorkflowRun.extend({
    live: z.object({
      status: WorkflowRun.shape.status,
      step: z.string(),
      hops: WorkflowRun.shape.hops,
      pending_task: Task.optional(),
      error: z.string().optional(),
    }).optional(),
  }),
});
export const WorkflowListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export const ConversationParams = z.object({ id: z.string().min(1).max(140) });
export const WorkflowParams = z.object({ id: z.string().min(1).max(200) });
export const HandoffResult = z.object({ handoff: Handoff });
export const CallbackAccepted = z.object({ accepted: z.literal(true), workflow_id: z.string() });

export const adminResults = {
  'admin.employee.create': EmployeeResult,
  'admin.agent.create': AgentCreated,
  'admin.agent.update': EmployeeResult,
  'admin.employee.disable': EmployeeResult,
  'admin.employee.move': EmployeeResult,
  'admin.employee.set_manager': EmployeeResult,
  'admin.department.create': DepartmentResult,
  'admin.department.move': DepartmentResult,
  'admin.group.create': GroupResult,
  'admin.group.dissolve': GroupResult,
  'admin.group.add_members': GroupResult,
  'admin.group.remove_members': GroupResult,
  'admin.audit.query': AuditPage,
  'admin.audit.export': AuditExport,
  'admin.import': ImportReport,
  'admin.relay.save': RelayResult,
  'admin.relay.list': RelayList,
  'admin.schedule.create': ScheduleResult,
  'admin.schedule.pause': ScheduleResult,
  'admin.schedule.list': ScheduleList,
} as const satisfies Record<AdminOpName, z.ZodType>;
