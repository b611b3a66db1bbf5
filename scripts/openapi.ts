/**
 * Writes docs/openapi.json, the OpenAPI 3.1 description of the gateway's HTTP API, from the zod
 * schemas the gateway itself parses with: a route table below, turned into a document.
 *
 *   npx tsx scripts/openapi.ts
 *
 * Request bodies and parameters are the input side of their schemas (fields with defaults are
 * optional), responses the output side. test/openapi.test.ts checks that the committed file is
 * what this script writes, and that a real gateway answers as the document says.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { STATUS } from '../gateway/http/util.js';
import {
  adminPayloads, AuditEntry, Department, ErrorBody, Group, ImportReport, opPayloads, Presence, PublicProfile,
  type AdminOpName, type ErrorCode,
} from '../schemas/index.js';
import {
  EmqxAuthnRequest, EmqxAuthnResult, EmqxAuthzRequest, EmqxAuthzResult, FileLinkQuery, FileParams, HealthReport,
  HttpError, LoginRequest, LoginResult, MeResult, PresenceMap, PresenceQuery, UploadQuery,
  UploadResult, CallbackAccepted, ConversationParams, TaskDecision, TaskListQuery,
  TaskParams, WorkflowListQuery, WorkflowParams,
} from '../schemas/http.js';
import {
  EmployeeCard, EmployeeList, EmployeeResult, GroupResult, HandoffResult, OrgMember, OrgTree, TaskList, TaskResult, TreeDepartment,
  WorkflowList, WorkflowResult,
} from '../schemas/ops.js';
import {
  AdminEmployee, AdminEmployeeList, adminResults, AgentCreated, AuditPage, DepartmentResult, RelayList, RelayResult, ScheduleList, ScheduleResult,
} from '../schemas/admin.js';
import { AgentCallback, Handoff, Relay, Schedule, Task, WorkflowRun } from '../schemas/agents.js';

export const OPENAPI_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

type Status = 200 | 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;
type ErrorStatus = Exclude<Status, 200>;
/** A body: JSON by a zod schema, or one schema per media type. */
type Body = z.ZodType | { [mediaType: string]: z.ZodType };

interface Route {
  method: 'get' | 'post';
  path: string;
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /** `user`: the JWT from POST /api/login; `service`: the service secret (EMQX). */
  auth: 'none' | 'user' | 'service';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Body;
  /** The 200 answer. */
  ok: { description: string; body: Body; headers?: JsonObject };
  /** Answers with their own body rather than the error body, e.g. /healthz's 503. */
  other?: Partial<Record<ErrorStatus, { description: string; body: Body }>>;
  errors: ErrorStatus[];
}

const TAGS = {
  health: 'Liveness and the state of each dependency.',
  auth: 'Password login; the token it returns is the bearer token of every other route.',
  directory: 'The organisation as every employee may see it: profiles, the department tree, presence.',
  admin: 'Admin ops (admins only; every attempt, done or refused, is written to the audit log). `POST /api/admin/{op}` runs ' +
    'the op `admin.{op}` with the body as its payload and answers with its result; an op the gateway does not know is 404.',
  audit: 'Reading the audit log (admins only; reading it is itself audited).',
  files: 'Files for messages: upload the bytes here, then send a message whose attachment names the upload (`object_id`, `sha256`). ' +
    'Messages handed out over MQTT carry a fresh signed download link (`url`, relative to this API) per attachment.',
  agents: 'Agent work: approval tasks for their approvers, the workflows a conversation started (for its members), and the ' +
    'callback through which an agent that answered its webhook with 202 delivers its answer (signed with its API secret, ' +
    'as the webhook is: `x-mchat-timestamp` and `x-mchat-signature: sha256=HMAC(secret, timestamp + "." + raw body)`).',
  internal: 'Called by EMQX (HTTP authentication and authorization) with the service secret; not for clients.',
} as const;
type Tag = keyof typeof TAGS;

/** Response schemas by component name (output side). */
const OUTPUTS = {
  Error: HttpError, ErrorBody, HealthReport, LoginResult, MeResult, PublicProfile, EmqxAuthnResult, EmqxAuthzResult,
  EmployeeList, EmployeeCard, OrgMember, TreeDepartment, OrgTree, Presence, PresenceMap, Department, Group, AuditEntry,
  AuditPage, EmployeeResult, AgentCreated, AdminEmployee, AdminEmployeeList, DepartmentResult, GroupResult, ImportReport, UploadResult,
  Relay, RelayResult, RelayList, Schedule, ScheduleResult, ScheduleList, Task, TaskList, TaskResult, WorkflowRun, WorkflowList, WorkflowResult, Handoff, HandoffResult,
  CallbackAccepted,
} satisfies Record<string, z.ZodType>;

const pascal = (op: string) => op.replace(/^admin\./, '').split(/[._]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
const camel = (op: string) => { const p = pascal(op); return p[0]!.toLowerCase() + p.slice(1); };

type BodyOp = Exclude<AdminOpName, 'admin.audit.query' | 'admin.audit.export' | 'admin.org.export'>;

/** Request bodies by component name (input side). */
const INPUTS: Record<string, z.ZodType> = {
  LoginRequest, EmqxAuthnRequest, EmqxAuthzRequest, AgentCallback, TaskDecision,
  ...Object.fromEntries(
    (Object.keys(adminPayloads) as AdminOpName[]).filter((op) => !op.startsWith('admin.audit.') && op !== 'admin.org.export').map((op) => [`${pascal(op)}Payload`, adminPayloads[op]]),
  ),
};

/** Beyond 400/401/403/413/500/503, which every admin op can answer. */
const ADMIN_OPS: Record<BodyOp, { summary: string; description?: string; errors: ErrorStatus[] }> = {
  'admin.employee.create': {
    summary: 'Create a person',
    description: 'The password is hashed (scrypt) and never returned. 404: an unknown department or manager; 409: the id is taken.',
    errors: [404, 409],
  },
  'admin.agent.create': {
    summary: 'Create an AI agent',
    description: 'Answers the API secret that signs its webhook calls, this once. 404: an unknown department, manager or ' +
      'auto-join group; 409: the id is taken. In production the webhook must be HTTPS (400) and answer (503).',
    errors: [404, 409],
  },
  'admin.agent.update': {
    summary: "Change an agent's profile",
    description: 'Only the fields given change. A new `auto_join_groups` is applied: the agent joins each group listed and leaves each ' +
      'group dropped from the list. 404: no such employee, or an unknown group; 409: not an AI agent, or the agent is the last member ' +
      'of a group it would leave; 413: a group listed is full.',
    errors: [404, 409],
  },
  'admin.employee.disable': {
    summary: 'Disable an account',
    description: "Their connections are dropped and their tokens stop working. 404: no such employee; 409: already disabled, or the caller's own.",
    errors: [404, 409],
  },
  'admin.employee.enable': {
    summary: 'Re-enable a disabled account',
    description: 'They may sign in again (with the password they had); an agent is called again. 404: no such employee; 409: not disabled.',
    errors: [404, 409],
  },
  'admin.employee.update': {
    summary: "Change a person's or an agent's name, title, avatar or skills",
    description: 'Only the fields given change; the department and the manager have their own ops. 404: no such employee.',
    errors: [404],
  },
  'admin.employee.reset_password': {
    summary: "Set a person's password",
    description: 'The password is hashed (scrypt); it is never returned or audited. 404: no such employee; 409: an AI agent (rotate its secret instead).',
    errors: [404, 409],
  },
  'admin.agent.rotate_secret': {
    summary: "Give an agent a new API secret",
    description: 'Answers the new secret, this once; from then on webhook calls are signed with it and callbacks signed with the old one ' +
      'are refused. 404: no such employee; 409: not an AI agent.',
    errors: [404, 409],
  },
  'admin.employee.list': {
    summary: 'The directory for admins: people and agents, disabled ones too',
    description: 'Sorted by name, with whole agent profiles and who disabled whom, when and why. Filters: `q` (id, name, title, skills; ' +
      'Chinese names by pinyin), `kind`, `status`, `department_id`; the next page is `after` = the `next` of this one. 400: a cursor this op did not give.',
    errors: [],
  },
  'admin.employee.move': { summary: 'Move an employee to another department', description: '404: an unknown employee or department.', errors: [404] },
  'admin.employee.set_manager': {
    summary: "Change an employee's manager",
    description: '404: an unknown employee or manager; 409: a loop in the reporting line (or oneself).',
    errors: [404, 409],
  },
  'admin.department.create': { summary: 'Create a department', description: '404: an unknown parent; 409: the id is taken.', errors: [404, 409] },
  'admin.department.move': {
    summary: 'Move a department under another (or to the top)',
    description: '404: an unknown department or parent; 409: a loop in the tree.',
    errors: [404, 409],
  },
  'admin.cockpit': {
    summary: "The organisation's figures for the cockpit",
    description: 'Messages per UTC day, active people and agents, agent calls with their p95 answer time, approvals waiting by age, hand-offs and their pick-up time, over the last `days` days.',
    errors: [],
  },
  'admin.department.rename': { summary: 'Rename a department', description: '404: no such department.', errors: [404] },
  'admin.department.set_head': {
    summary: 'Set (or clear) the head of a department',
    description: '404: an unknown department or employee; 409: the employee is disabled or an AI agent.',
    errors: [404, 409],
  },
  'admin.group.create': {
    summary: 'Create a group',
    description: 'The owner is a member too. 404: a member is unknown or disabled; 409: the id is taken.',
    errors: [404, 409],
  },
  'admin.group.dissolve': { summary: 'Dissolve a group', description: '404: no such group (or dissolved already).', errors: [404] },
  'admin.group.add_members': { summary: 'Add members to a group', description: '404: an unknown group or member.', errors: [404] },
  'admin.group.remove_members': {
    summary: 'Remove members from a group',
    description: '404: no such group; 409: it would leave the group empty (dissolve it instead).',
    errors: [404, 409],
  },
  'admin.relay.save': {
    summary: 'Save a named relay (a new version each time)',
    description: 'Agents in order, each step optionally only when the previous answer contains a text. A message with ' +
      '`@relay:{relay_id}` runs the latest version; a running relay keeps the version it started with. 404: a step names ' +
      'no active agent; 409: a concurrent save, retry.',
    errors: [404, 409],
  },
  'admin.relay.list': { summary: 'The latest version of every named relay', errors: [] },
  'admin.schedule.create': {
    summary: 'Schedule an agent to post in a conversation (cron or every)',
    description: 'A Temporal Schedule: at each time the agent is asked the prompt, as if the admin had asked, and its answer is ' +
      'posted in the conversation. 404: no such active agent, or it is not in the conversation; 409: the id is taken.',
    errors: [404, 409],
  },
  'admin.schedule.pause': { summary: 'Pause or resume a schedule', description: '404: no such schedule.', errors: [404] },
  'admin.schedule.list': { summary: "This installation's schedules", errors: [] },
  'admin.import': {
    summary: 'Import an organisation from JSON or CSV',
    description: 'All or nothing. With `dry_run` (the default) nothing is written: the report says what would be created, ' +
      'what is skipped (identical to what exists) and every problem found. A file with problems is still answered 200, ' +
      'with `ok: false` and nothing imported; 400 is for data that is not JSON or CSV at all. People imported get ' +
      'one-time passwords, in this answer only. The body may be up to 6 MB. 409: a concurrent write took an id.',
    errors: [409],
  },
};

const ROUTES: Route[] = [
  {
    method: 'get', path: '/healthz', operationId: 'health', tag: 'health', auth: 'none',
    summary: 'Health of the gateway and each dependency',
    ok: { description: 'Every dependency is up.', body: HealthReport },
    other: { 503: { description: 'A dependency is down (the gateway keeps serving what it can).', body: HealthReport } },
    errors: [],
  },
  {
    method: 'post', path: '/api/login', operationId: 'login', tag: 'auth', auth: 'none',
    summary: 'Log in with employee id and password',
    description: 'A wrong password, an unknown id and a disabled account all answer the same 401.',
    body: LoginRequest,
    ok: { description: 'A token (JWT) and the public profile.', body: LoginResult },
    errors: [400, 401, 413, 500, 503],
  },
  {
    method: 'get', path: '/api/me', operationId: 'me', tag: 'auth', auth: 'user',
    summary: 'The logged-in employee',
    ok: { description: 'Their public profile.', body: MeResult },
    errors: [401, 500, 503],
  },
  {
    method: 'get', path: '/api/employees', operationId: 'searchEmployees', tag: 'directory', auth: 'user',
    summary: 'Search active employees (at most 50, by name)',
    description: '`q` matches id, name, title and skills badges, case-insensitively. The op `employee.search`.',
    query: opPayloads['employee.search'],
    ok: { description: 'The matching public profiles.', body: EmployeeList },
    errors: [400, 401, 500, 503],
  },
  {
    method: 'get', path: '/api/employees/{id}', operationId: 'getEmployee', tag: 'directory', auth: 'user',
    summary: 'One employee and their reporting line',
    description: 'The op `employee.get`.',
    params: opPayloads['employee.get'],
    ok: { description: 'The public profile, and the managers above, nearest first.', body: EmployeeCard },
    errors: [400, 401, 404, 500, 503],
  },
  {
    method: 'get', path: '/api/org/tree', operationId: 'orgTree', tag: 'directory', auth: 'user',
    summary: 'Departments as a tree with their active members',
    description: 'What the retained `mchat/org/tree` carries. The op `org.tree`.',
    ok: { description: 'Root departments (by name), and the people in no department.', body: OrgTree },
    errors: [401, 500, 503],
  },
  {
    method: 'get', path: '/api/presence', operationId: 'presence', tag: 'directory', auth: 'user',
    summary: 'Presence of some employees',
    query: PresenceQuery,
    ok: { description: 'Each id asked for; one never seen online is `offline` with `ts` 0.', body: PresenceMap },
    errors: [400, 401, 500, 503],
  },
  {
    method: 'post', path: '/api/files', operationId: 'uploadFile', tag: 'files', auth: 'user',
    summary: 'Upload a file',
    description: 'The body is the file itself (not JSON, not multipart) and its `Content-Type` the file\'s type ' +
      '(`application/octet-stream` when absent); it is streamed to the object store while hashed. Over ' +
      '`MCHAT_MAX_UPLOAD_BYTES` (25 MiB by default) is 413 and nothing is kept. Then send a message with the attachment ' +
      '`{ name, size, type, sha256, object_id }`: only one\'s own uploads may be sent.',
    query: UploadQuery,
    body: { '*/*': z.any().describe('The bytes of the file.') },
    ok: { description: 'What was stored.', body: UploadResult },
    errors: [400, 401, 413, 500, 503],
  },
  {
    method: 'get', path: '/api/files/{object_id}', operationId: 'downloadFile', tag: 'files', auth: 'none',
    summary: 'Download a file by a signed link',
    description: 'No token: the signature is the credential. Links come in the `url` of attachments of messages the gateway ' +
      'hands out (deliveries, `msg.history`, `msg.sync`, `conv.list`) and work for `MCHAT_LINK_TTL_SECONDS` (600 by default); ' +
      'for a fresh one, fetch the message again. 403: expired, altered or not signed by the gateway; 404: the file is gone.',
    params: FileParams,
    query: FileLinkQuery,
    ok: {
      description: "The file, with the type it was uploaded with.",
      body: { '*/*': z.any().describe('The bytes of the file.') },
      headers: {
        'Content-Disposition': { description: 'attachment; filename="{name}"', schema: { type: 'string' } },
      },
    },
    errors: [403, 404, 500, 503],
  },
  {
    method: 'get', path: '/api/admin/audit', operationId: 'queryAudit', tag: 'audit', auth: 'user',
    summary: 'Query the audit log, newest first',
    description: 'Page backwards with `before_id` = the last `audit_id` of the previous page. The op `admin.audit.query`.',
    query: adminPayloads['admin.audit.query'],
    ok: { description: 'One page of entries.', body: AuditPage },
    errors: [400, 401, 403, 500, 503],
  },
  {
    method: 'get', path: '/api/admin/audit/export', operationId: 'exportAudit', tag: 'audit', auth: 'user',
    summary: 'Export the audit log, oldest first, as a file',
    description: 'CSV (one JSON cell per structured field) or NDJSON; at most 100 000 entries. The op `admin.audit.export`.',
    query: adminPayloads['admin.audit.export'],
    ok: {
      description: 'The file, `mchat-audit.csv` or `mchat-audit.ndjson`.',
      body: { 'text/csv': z.string(), 'application/x-ndjson': z.string() },
      headers: {
        'Content-Disposition': { description: 'attachment; filename="mchat-audit.{format}"', schema: { type: 'string' } },
      },
    },
    errors: [400, 401, 403, 500, 503],
  },
  {
    method: 'get', path: '/api/admin/org/export', operationId: 'exportOrganisation', tag: 'admin', auth: 'user',
    summary: 'Export the organisation as a file admin.import takes back',
    description: 'JSON (departments, active people and agents, groups) or CSV (active people, the import\'s columns); no passwords or secrets. The op `admin.org.export`.',
    query: adminPayloads['admin.org.export'],
    ok: {
      description: 'The file, `mchat-organisation.json` or `mchat-organisation.csv`.',
      body: {
        'application/json': z.object({ departments: z.array(z.unknown()), employees: z.array(z.unknown()), agents: z.array(z.unknown()), groups: z.array(z.unknown()) }),
        'text/csv': z.string(),
      },
      headers: {
        'Content-Disposition': { description: 'attachment; filename="mchat-organisation.{format}"', schema: { type: 'string' } },
      },
    },
    errors: [400, 401, 403, 500, 503],
  },
  ...(Object.entries(ADMIN_OPS) as [BodyOp, (typeof ADMIN_OPS)[BodyOp]][]).map(([op, d]): Route => ({
    method: 'post', path: `/api/admin/${op.replace(/^admin\./, '')}`, operationId: camel(op), tag: 'admin', auth: 'user',
    summary: d.summary,
    description: `The op \`${op}\`.${d.description ? ` ${d.description}` : ''}`,
    body: adminPayloads[op],
    ok: { description: "The op's result.", body: adminResults[op] },
    errors: [400, 401, 403, ...d.errors, 413, 500, 503],
  })),
  {
    method: 'get', path: '/api/tasks', operationId: 'listTasks', tag: 'agents', auth: 'user',
    summary: "The caller's approval tasks, newest first",
    description: 'Pending ones unless `state` says otherwise. The op `task.list`.',
    query: TaskListQuery,
    ok: { description: 'At most 200 tasks.', body: TaskList },
    errors: [400, 401, 500, 503],
  },
  {
    method: 'post', path: '/api/tasks/{id}/decision', operationId: 'decideTask', tag: 'agents', auth: 'user',
    summary: 'Approve or reject a task',
    description: 'The waiting workflow records the decision, audits it (`task.decide`) and goes on. The op `task.decide`. ' +
      '403: not the approver; 404: no such task; 409: decided or escalated already.',
    params: TaskParams,
    body: TaskDecision,
    ok: { description: 'The decided task.', body: TaskResult },
    errors: [400, 401, 403, 404, 409, 413, 500, 503],
  },
  {
    method: 'get', path: '/api/conversations/{id}/workflows', operationId: 'listWorkflows', tag: 'agents', auth: 'user',
    summary: 'Workflows a conversation started, newest first',
    description: 'For members of the conversation (403 otherwise). The op `workflow.list`.',
    params: ConversationParams,
    query: WorkflowListQuery,
    ok: { description: 'Their mirrored state.', body: WorkflowList },
    errors: [400, 401, 403, 404, 500, 503],
  },
  {
    method: 'get', path: '/api/workflows/{id}', operationId: 'getWorkflow', tag: 'agents', auth: 'user',
    summary: 'One workflow',
    description: 'The mirrored state, and while it runs, `live`: what the workflow itself answers. The op `workflow.get`. ' +
      '403: not a member of its conversation; 404: no such workflow.',
    params: WorkflowParams,
    ok: { description: 'The workflow.', body: WorkflowResult },
    errors: [400, 401, 403, 404, 500, 503],
  },
  {
    method: 'post', path: '/api/agents/callback', operationId: 'agentCallback', tag: 'agents', auth: 'none',
    summary: "An agent's asynchronous answer",
    description: 'For an agent that answered its webhook with 202: `interaction_id` is the one of that request. The body is ' +
      'signed like the webhook, with the agent\'s API secret; a timestamp more than 5 minutes off is refused. 401: the ' +
      'signature does not verify (or no such agent); 404: no interaction is waiting for this answer.',
    body: AgentCallback,
    ok: { description: 'Handed to the waiting workflow.', body: CallbackAccepted },
    errors: [400, 401, 404, 413, 500, 503],
  },
  {
    method: 'post', path: '/internal/emqx/authn', operationId: 'emqxAuthn', tag: 'internal', auth: 'service',
    summary: 'EMQX: may this client connect?',
    description: 'Services with the service secret; employees with their token as password and client id `{employee_id}:{device}`.',
    body: EmqxAuthnRequest,
    ok: { description: 'The verdict.', body: EmqxAuthnResult },
    errors: [400, 401, 413, 500, 503],
  },
  {
    method: 'post', path: '/internal/emqx/authz', operationId: 'emqxAuthz', tag: 'internal', auth: 'service',
    summary: 'EMQX: may this client publish or subscribe to this topic?',
    body: EmqxAuthzRequest,
    ok: { description: 'The verdict, by the same topic ACL as the embedded broker.', body: EmqxAuthzResult },
    errors: [400, 401, 413, 500, 503],
  },
];

const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The body is not JSON, or a field is not valid (`field` names it)' },
  401: { name: 'Unauthorized', description: 'Missing, expired or revoked credentials, or a disabled account' },
  403: { name: 'Forbidden', description: 'Authenticated, but not allowed: admin routes are for admins only; or a file link that expired or was not signed by the gateway' },
  404: { name: 'NotFound', description: 'Something the request names does not exist' },
  409: { name: 'Conflict', description: 'The request contradicts the current state (an id taken, a loop); re-read and decide' },
  413: { name: 'PayloadTooLarge', description: 'The body is over the limit: 64 KiB, 6 MB for the import, `MCHAT_MAX_UPLOAD_BYTES` for a file' },
  500: { name: 'InternalError', description: 'A bug; it is logged. Retry once' },
  503: { name: 'Unavailable', description: 'The gateway is starting or a dependency is down; retry with backoff' },
};

const TARGET = { target: 'draft-2020-12' } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Named schemas of one side as components; nested named schemas become `$ref`s. */
function components(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { ...TARGET, io, uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, JsonObject> };
  const unknown = Object.keys(schemas).filter((id) => !Object.hasOwn(named, id));
  if (unknown.length) throw new Error(`unexpected shared schemas ${unknown.join(', ')}`);
  return Object.fromEntries(Object.keys(named).map((id) => {
    const { $schema: _s, $id: _i, ...schema } = schemas[id]!;
    return [id, schema];
  }));
}

function nameOf(named: Record<string, z.ZodType>, schema: z.ZodType): string | undefined {
  return Object.entries(named).find(([, s]) => s === schema)?.[0];
}

/** An unnamed schema, inline (it must not refer to named ones). */
function inline(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _s, ...json } = z.toJSONSchema(schema, { ...TARGET, io }) as JsonObject;
  return json;
}

function content(body: Body, io: 'input' | 'output'): JsonObject {
  const named = io === 'input' ? INPUTS : OUTPUTS;
  const byType: Record<string, z.ZodType> = body instanceof z.ZodType ? { 'application/json': body } : body;
  return Object.fromEntries(Object.entries(byType).map(([type, schema]) => {
    const name = nameOf(named, schema);
    return [type, { schema: name ? ref(name) : inline(schema, io) }];
  }));
}

function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): JsonObject[] {
  if (!schema) return [];
  const json = inline(schema, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, { description, ...s }]) => ({
    name, in: where, required: where === 'path' || (json.required ?? []).includes(name),
    ...(typeof description === 'string' ? { description } : {}),
    schema: s,
  }));
}

const SECURITY: Record<Route['auth'], JsonObject[]> = { none: [], user: [{ bearerAuth: [] }], service: [{ serviceSecret: [] }] };

function operation(r: Route): JsonObject {
  const responses: JsonObject = { 200: { description: r.ok.description, ...(r.ok.headers ? { headers: r.ok.headers } : {}), content: content(r.ok.body, 'output') } };
  for (const status of [...new Set([...r.errors, ...(Object.keys(r.other ?? {}).map(Number) as ErrorStatus[])])].sort()) {
    const other = r.other?.[status];
    responses[status] = other
      ? { description: other.description, content: content(other.body, 'output') }
      : { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  }
  const params = [...parameters('path', r.params), ...parameters('query', r.query)];
  return {
    operationId: r.operationId,
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    security: SECURITY[r.auth],
    ...(params.length ? { parameters: params } : {}),
    ...(r.body ? { requestBody: { required: true, content: content(r.body, 'input') } } : {}),
    responses,
  };
}

export function buildOpenApi(): JsonObject {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const codeOf = Object.fromEntries(Object.entries(STATUS).map(([code, status]) => [status, code])) as Record<number, ErrorCode>;

  const paths: Record<string, JsonObject> = {};
  for (const r of ROUTES) {
    const path = (paths[r.path] ??= {});
    if (path[r.method]) throw new Error(`${r.method} ${r.path} is in the route table twice`);
    path[r.method] = operation(r);
  }

  const outputs = components(OUTPUTS, 'output');
  const inputs = components(INPUTS, 'input');
  const clash = Object.keys(inputs).filter((k) => Object.hasOwn(outputs, k));
  if (clash.length) throw new Error(`component names used for a request and a response: ${clash.join(', ')}`);

  return {
    openapi: '3.1.0',
    info: {
      title: 'MChat gateway API',
      version: pkg.version,
      description: 'The HTTP side of the MChat gateway: login, the directory, presence, files, agent work (tasks, workflows, agent callbacks), admin ops and the audit log. ' +
        'Everything else happens over MQTT (see docs/protocol.md). Every error answers `{ "error": { "code", "message", "field"? } }` ' +
        'with the status its code stands for.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `token` from `POST /api/login`.' },
        serviceSecret: { type: 'http', scheme: 'bearer', description: 'The service secret (`MCHAT_SERVICE_SECRET`); only EMQX holds it.' },
      },
      schemas: { ...outputs, ...inputs },
      responses: Object.fromEntries((Object.entries(ERROR_RESPONSES) as unknown as [string, { name: string; description: string }][]).map(([status, { name, description }]) => {
        const code = codeOf[Number(status)];
        if (!code) throw new Error(`no error code answers ${status}`);
        return [name, {
          description: `${description}: \`${code}\`.`,
          content: {
            'application/json': {
              schema: { allOf: [ref('Error'), { properties: { error: { properties: { code: { const: code } } } } }] },
            },
          },
        }];
      })),
    },
  };
}

export function renderOpenApi(doc: JsonObject = buildOpenApi()): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
