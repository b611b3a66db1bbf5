import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { schemaError, type ErrorBody } from '../schemas/index.js';

export const STATUS: Record<ErrorBody['code'], number> = {
  E_SCHEMA: 400, E_AUTH: 401, E_FORBIDDEN: 403, E_NOT_FOUND: 404, E_CONFLICT: 409,
  E_RATE_LIMITED: 429, E_TOO_LARGE: 413, E_UNAVAILABLE: 503, E_INTERNAL: 500,
};

/** Errors over HTTP: the protocol's error body, with the status its code stands for. */
export function sendError(res: Response, error: ErrorBody): void {
  res.status(STATUS[error.code]).json({ error });
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; error: ErrorBody } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: schemaError(r.error) };
}

/** Express 5 forwards rejections itself, but typed handlers returning void read better wrapped. */
export const wrap = (fn: RequestHandler): RequestHandler => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);

export function bearer(req: Request): string | undefined {
  return /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
}
