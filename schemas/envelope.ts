import { z } from 'zod';
import { ClientId, EpochMs, Id } from './ids.js';

export const PROTOCOL_VERSION = 1;

export const ERROR_CODES = [
  'E_SCHEMA', 'E_AUTH', 'E_FORBIDDEN', 'E_NOT_FOUND', 'E_CONFLICT',
  'E_RATE_LIMITED', 'E_TOO_LARGE', 'E_UNAVAILABLE', 'E_INTERNAL',
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string().min(1),
  field: z.string().optional(),
  retry_after_ms: z.number().int().nonnegative().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A request as it arrives; `payload` is checked per op afterwards (see ops.ts). */
export const RequestEnvelope = z.object({
  v: z.literal(PROTOCOL_VERSION),
  seq_id: Id,
  client_id: ClientId,
  op: z.string().regex(/^[a-z]+(\.[a-z_]+)+$/, 'must look like "msg.send"'),
  payload: z.record(z.string(), z.unknown()).default({}),
  ts: EpochMs.optional(),
});
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export const OkResponse = z.object({
  v: z.literal(PROTOCOL_VERSION),
  seq_id: Id,
  ok: z.literal(true),
  result: z.unknown(),
});
export const ErrorResponse = z.object({
  v: z.literal(PROTOCOL_VERSION),
  seq_id: Id,
  ok: z.literal(false),
  error: ErrorBody,
});
export const ResponseEnvelope = z.discriminatedUnion('ok', [OkResponse, ErrorResponse]);
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

export function okResponse(seqId: string, result: unknown): ResponseEnvelope {
  return { v: PROTOCOL_VERSION, seq_id: seqId, ok: true, result };
}
export function errorResponse(seqId: string, error: ErrorBody): ResponseEnvelope {
  return { v: PROTOCOL_VERSION, seq_id: seqId, ok: false, error };
}

/** The first issue of a zod error as a protocol error naming the field. */
export function schemaError(err: z.ZodError, prefix = ''): ErrorBody {
  const issue = err.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  const message = issue ? `${path || '(root)'}: ${issue.message}` : 'invalid input';
  return path ? { code: 'E_SCHEMA', message, field: path } : { code: 'E_SCHEMA', message };
}
