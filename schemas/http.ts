import { z } from 'zod';
import { ErrorBody } from './envelope.js';
import { Presence } from './events.js';
import { EmployeeId, EpochMs, Id } from './ids.js';
import { Attachment } from './message.js';
import { PublicProfile } from './organisation.js';
import { TaskState } from './agents.js';

/**
 * Bodies of the gateway's HTTP API that the MQTT protocol does not define already. The protocol's
 * own schemas (op payloads and results from ops.ts and admin.ts, ErrorBody, Department, Group,
 * AuditEntry…) are reused as they are; `scripts/openapi.ts` turns both into `docs/openapi.json`.
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
/**
 * What EMQX's rules (deploy/emqx/base.hocon) republish on `mchat/ingress/connected/{client_id}`
 * and `mchat/ingress/disconnected/{client_id}`: when that connection began or ended.
 */
export const EmqxClientEvent = z.object({ at: EpochMs });

// --- directory and presence ---------------------------------------------------------------------

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
/** The largest upload when `MCHAT_MAX_UPLOAD_BYTES` is unset; the web app refuses bigger files before sending. */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** What `POST /api/files` stored: give `object_id` and `sha256` back in a message's attachment. */
export const UploadResult = z.object({
  object_id: Id,
  name: Attachment.shape.name,
  size: Attachment.shape.size,
  type: Attachment.shape.type,
  sha256: Attachment.shape.sha256,
});
export type UploadResult = z.infer<typeof UploadResult>;
export const FileParams = z.object({ object_id: Id });
/** The signed part of a file link; the gateway writes both, clients only follow the link. */
export const FileLinkQuery = z.object({
  exp: z.string().regex(/^\d{1,12}$/).describe('When the link stops working, epoch seconds.'),
  sig: z.string().max(128).describe('HMAC-SHA256 of `{object_id}.{exp}` by the gateway, base64url.'),
});

// --- agent work: approval tasks, workflows, agent callbacks --------------------------------------

export const TaskListQuery = z.object({ state: TaskState.optional() });
export const TaskParams = z.object({ id: Id });
export const TaskDecision = z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(2_000).optional() });
export const WorkflowListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export const ConversationParams = z.object({ id: z.string().min(1).max(140) });
export const WorkflowParams = z.object({ id: z.string().min(1).max(200) });
export const CallbackAccepted = z.object({ accepted: z.literal(true), workflow_id: z.string() });
