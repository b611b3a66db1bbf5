import { z } from 'zod';
import { DepartmentId, EmployeeId, EpochMs, GroupId } from './ids.js';
import { AgentProfile, AgentProfilePatch, CapabilityCard, Department, Employee, PublicProfile, Role } from './organisation.js';
import { Relay, Schedule } from './agents.js';
import { EmployeeResult, GroupResult } from './ops.js';

/** Payloads of the admin ops: admins only, each one written to the audit log. */
const Password = z.string().min(8, 'at least 8 characters').max(256);

/**
 * The admin ops that change nothing. Each is audited like any other (who looked matters), so the
 * log's readers can leave them out (`kind: "changes"`) to see what was done.
 */
export const ADMIN_READ_OPS = ['admin.audit.query', 'admin.audit.export', 'admin.employee.list', 'admin.relay.list', 'admin.schedule.list', 'admin.org.export', 'admin.cockpit'] as const;

const AuditFilter = z.object({
  actor: EmployeeId.optional(),
  op: z.string().max(64).optional(),
  target: z.string().max(140).optional(),
  since: z.coerce.number().int().nonnegative().optional(),
  until: z.coerce.number().int().nonnegative().optional(),
  /** `changes`: without the entries of ADMIN_READ_OPS; `reads`: only those. */
  kind: z.enum(['all', 'changes', 'reads']).default('all'),
});

const PersonFields = {
  id: EmployeeId,
  name: z.string().min(1).max(128),
  avatar: z.string().max(1024).optional(),
  title: z.string().max(128).default(''),
  department_id: DepartmentId.nullable().default(null),
  manager_id: EmployeeId.nullable().default(null),
  skills_badge: z.array(z.string().min(1).max(64)).max(64).default([]),
};

/**
 * An agent as the design writes its document: `employee_id` (or `id`), `is_ai_agent: true`, the
 * person fields and `agent_profile` (capabilities as names or cards, `response_timeout` in seconds).
 */
export const AgentDocument = z.preprocess(
  (raw) => {
    if (typeof raw !== 'object' || raw === null || !('employee_id' in raw) || 'id' in raw) return raw;
    const { employee_id, ...rest } = raw as Record<string, unknown>;
    return { id: employee_id, ...rest };
  },
  z.object({ ...PersonFields, is_ai_agent: z.literal(true).optional(), agent_profile: AgentProfile }),
);

export const adminPayloads = {
  'admin.employee.create': z.object({ ...PersonFields, role: Role.default('member'), password: Password }),
  'admin.agent.create': AgentDocument,
  'admin.agent.update': z.object({ id: EmployeeId, agent_profile: AgentProfilePatch }),
  'admin.employee.disable': z.object({ id: EmployeeId, reason: z.string().max(512).optional() }),
  'admin.employee.enable': z.object({ id: EmployeeId }),
  /** What the directory shows of a person or an agent; where they sit and whom they report to have their own ops. */
  'admin.employee.update': z
    .object({
      id: EmployeeId,
      name: PersonFields.name.optional(),
      avatar: PersonFields.avatar,
      title: z.string().max(128).optional(),
      skills_badge: z.array(z.string().min(1).max(64)).max(64).optional(),
    })
    .refine((p) => Object.keys(p).some((k) => k !== 'id'), 'give at least one field to change'),
  'admin.employee.reset_password': z.object({ id: EmployeeId, password: Password }),
  'admin.agent.rotate_secret': z.object({ id: EmployeeId }),
  /**
   * The directory as admins need it: disabled accounts too, agents with their whole profile.
   * Sorted by name; `after` is the `next` of the previous page.
   */
  'admin.employee.list': z.object({
    q: z.string().max(128).default(''),
    kind: z.enum(['all', 'person', 'agent']).default('all'),
    status: z.enum(['all', 'active', 'disabled']).default('all'),
    department_id: DepartmentId.optional(),
    after: z.string().max(400).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  }),
  'admin.employee.move': z.object({ id: EmployeeId, department_id: DepartmentId.nullable() }),
  'admin.employee.set_manager': z.object({ id: EmployeeId, manager_id: EmployeeId.nullable() }),
  'admin.department.create': z.object({ id: DepartmentId, name: z.string().min(1).max(128), parent_id: DepartmentId.nullable().default(null) }),
  'admin.department.move': z.object({ id: DepartmentId, parent_id: DepartmentId.nullable() }),
  'admin.department.rename': z.object({ id: DepartmentId, name: z.string().trim().min(1).max(128) }),
  /** An active person (not an agent) heads a department; null leaves it without a head. */
  'admin.department.set_head': z.object({ id: DepartmentId, head_id: EmployeeId.nullable() }),
  /** The organisation as a file `admin.import` takes back: JSON (departments, people, agents, groups) or CSV (people). */
  'admin.org.export': z.object({ format: z.enum(['json', 'csv']).default('json') }),
  /** The organisation's figures over the last `days` UTC days, today included (数据驾驶舱). */
  'admin.cockpit': z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
  'admin.group.create': z.object({
    id: GroupId, name: z.string().min(1).max(128), owner_id: EmployeeId, members: z.array(EmployeeId).min(1).max(100_000),
  }),
  'admin.group.dissolve': z.object({ id: GroupId }),
  'admin.group.add_members': z.object({ id: GroupId, members: z.array(EmployeeId).min(1).max(100_000) }),
  'admin.group.remove_members': z.object({ id: GroupId, members: z.array(EmployeeId).min(1).max(100_000) }),
  'admin.audit.query': AuditFilter.extend({
    /** Audit ids are ULIDs: page backwards with the last id of the previous page. */
    before_id: z.string().max(40).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  }),
  'admin.audit.export': AuditFilter.extend({ format: z.enum(['csv', 'ndjson']).default('csv') }),
  'admin.import': z.object({
    format: z.enum(['json', 'csv']),
    data: z.string().min(1).max(5_000_000),
    dry_run: z.boolean().default(true),
  }),
  // --- named relays: saving again makes a new version; running workflows keep theirs ---
  'admin.relay.save': z.object({ relay_id: Relay.shape.relay_id, name: Relay.shape.name, steps: Relay.shape.steps }),
  'admin.relay.list': z.object({}),
  // --- proactive agents: Temporal Schedules that ask an agent and post its answer ---
  'admin.schedule.create': Schedule.pick({ schedule_id: true, agent_id: true, conversation_id: true, cron: true, every: true, prompt: true })
    .refine((s) => (s.cron === undefined) !== (s.every === undefined), { message: 'give either cron or every', path: ['cron'] }),
  'admin.schedule.pause': z.object({ schedule_id: Schedule.shape.schedule_id, paused: z.boolean() }),
  'admin.schedule.list': z.object({}),
} as const;

export type AdminOpName = keyof typeof adminPayloads;
export type AdminPayload<O extends AdminOpName> = z.infer<(typeof adminPayloads)[O]>;

export function isAdminOpName(op: string): op is AdminOpName {
  return Object.hasOwn(adminPayloads, op);
}

/** One immutable line of the audit log. */
export const AuditEntry = z.object({
  audit_id: z.string(),
  ts: EpochMs,
  actor: EmployeeId,
  op: z.string(),
  target: z.string().nullable(),
  ok: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  via: z.enum(['mqtt', 'http']),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

const ImportKind = z.enum(['department', 'employee', 'group', 'agent']);

/** What an import would do (dry run) or did. Nothing is written unless `errors` is empty. */
export const ImportReport = z.object({
  ok: z.boolean(),
  dry_run: z.boolean(),
  imported: z.boolean(),
  create: z.object({ departments: z.array(DepartmentId), employees: z.array(EmployeeId), groups: z.array(GroupId), agents: z.array(EmployeeId) }),
  skip: z.array(z.object({ kind: ImportKind, id: z.string(), reason: z.string() })),
  errors: z.array(z.object({
    kind: z.enum([...ImportKind.options, 'file']),
    /** 1-based index in its JSON array, or CSV line number; 0 is the JSON file as a whole. */
    row: z.number().int().nonnegative(),
    id: z.string().optional(),
    field: z.string().optional(),
    message: z.string(),
  })),
  /** One-time passwords of the people imported: in the op's result only, never in the audit log. */
  passwords: z.record(z.string(), z.string()).optional(),
  /** The API secrets of the agents imported, shown this once: in the op's result only, never in the audit log. */
  secrets: z.record(z.string(), z.string()).optional(),
});
export type ImportReport = z.infer<typeof ImportReport>;
export type ImportError = ImportReport['errors'][number];

// --- results: what `result` holds in the answer to each admin op (over HTTP, the body) ----------

export const AgentCreated = z.object({
  employee: PublicProfile,
  /** Signs the agent's webhook calls; shown this once. */
  api_secret: z.string().min(1),
});
export const DepartmentResult = z.object({ department: Department });

/** An employee as admins see them: every profile field an admin sets, and who disabled them, when and why. */
export const AdminEmployee = z.object({
  ...Employee.shape,
  agent_profile: AgentProfile.extend({ capabilities: z.array(CapabilityCard) }).optional(),
  disabled: z.object({ at: EpochMs, by: EmployeeId, reason: z.string().optional() }).optional(),
});
export type AdminEmployee = z.infer<typeof AdminEmployee>;
export const AdminEmployeeList = z.object({
  employees: z.array(AdminEmployee),
  /** The `after` of the next page; null on the last. */
  next: z.string().nullable(),
});
export const AuditPage = z.object({ entries: z.array(AuditEntry), has_more: z.boolean() });
/** Over MQTT; HTTP sends `data` itself as a file download. */
export const AuditExport = z.object({ format: z.enum(['csv', 'ndjson']), count: z.number().int().nonnegative(), data: z.string() });
/** Over MQTT; HTTP sends `data` itself as a file download. */
export const OrgExport = z.object({ format: z.enum(['json', 'csv']), count: z.number().int().nonnegative(), data: z.string() });
const Count = z.number().int().nonnegative();
const Ms = z.number().nonnegative().nullable();
export const Cockpit = z.object({
  /** The first millisecond counted (the start of the first UTC day) and when it was measured. */
  since: z.number(), until: z.number(),
  /** Messages each UTC day (`YYYY-MM-DD`), oldest first: all that were sent (not recalled), and those of them agents wrote. */
  days: z.array(z.object({ day: z.string(), messages: Count, from_agents: Count })),
  /** People and agents who wrote at least one message in the period. */
  active: z.object({ people: Count, agents: Count }),
  /** Each agent asked in the period: its calls, how they ended, and the p95 time to an answer. */
  agents: z.array(z.object({ agent_id: z.string(), name: z.string(), calls: Count, answered: Count, failed: Count, p95_ms: Ms })),
  /** Approvals waiting now, by how long they have waited. */
  approvals: z.object({ pending: Count, oldest_ms: Ms, by_age: z.array(z.object({ within_ms: z.number().nullable(), count: Count })) }),
  /** Hand-offs opened in the period; pick-up is the time to the colleague's first message in the conversation. */
  handoffs: z.object({ opened: Count, active: Count, picked_up: Count, pickup_p50_ms: Ms, pickup_p95_ms: Ms }),
});
export type Cockpit = z.infer<typeof Cockpit>;
export const RelayResult = z.object({ relay: Relay });
export const RelayList = z.object({ relays: z.array(Relay) });
export const ScheduleResult = z.object({ schedule: Schedule });
export const ScheduleList = z.object({ schedules: z.array(Schedule) });

/** Result schemas of the admin ops, keyed as `adminPayloads`: the admin handlers are typed by them. */
export const adminResults = {
  'admin.employee.create': EmployeeResult,
  'admin.agent.create': AgentCreated,
  'admin.agent.update': EmployeeResult,
  'admin.employee.disable': EmployeeResult,
  'admin.employee.enable': EmployeeResult,
  'admin.employee.update': EmployeeResult,
  'admin.employee.reset_password': EmployeeResult,
  'admin.agent.rotate_secret': AgentCreated,
  'admin.employee.list': AdminEmployeeList,
  'admin.employee.move': EmployeeResult,
  'admin.employee.set_manager': EmployeeResult,
  'admin.department.create': DepartmentResult,
  'admin.department.move': DepartmentResult,
  'admin.department.rename': DepartmentResult,
  'admin.department.set_head': DepartmentResult,
  'admin.org.export': OrgExport,
  'admin.cockpit': Cockpit,
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

export type AdminResult<O extends AdminOpName> = z.output<(typeof adminResults)[O]>;
