import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { schemaError, type ErrorBody } from '../../schemas/index.js';
import type { Logger } from '../../lib/logger.js';
import { orgCache } from '../../store/org-cache.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError, toErrorBody } from '../errors.js';
import type { HttpApiOptions } from './options.js';

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

export function gatewayStarting(res: Response): void {
  sendError(res, { code: 'E_UNAVAILABLE', message: 'the gateway is starting; retry shortly' });
}

/**
 * For routes that act for a person: a login token of an active employee and a ready gateway. The
 * handlers after it read them with `callerOf` and `contextOf`.
 */
export function personAuth(opts: Pick<HttpApiOptions, 'context' | 'tokens' | 'm'>): RequestHandler {
  return wrap(async (req, res, next) => {
    const ctx = opts.context();
    if (!ctx) return gatewayStarting(res);
    const token = bearer(req);
    const claims = token ? await opts.tokens.verify(token) : undefined;
    const e = claims && (await orgCache(opts.m).activeEmployee(claims.sub));
    if (!claims || !e) return sendError(res, { code: 'E_AUTH', message: 'missing, expired or revoked token' });
    res.locals.caller = { id: claims.sub, clientId: `${claims.sub}:http`, role: e.role } satisfies Caller;
    res.locals.ctx = ctx;
    next();
  });
}

export const callerOf = (res: Response) => res.locals.caller as Caller;
export const contextOf = (res: Response) => res.locals.ctx as GatewayContext;

/** Answers an op's failure; only the unexpected ones are worth an error log. */
export function failWith(log: Logger): (res: Response, err: unknown) => void {
  return (res, err) => {
    if (!(err instanceof OpError)) log.error({ err }, 'http request failed');
    sendError(res, toErrorBody(err));
  };
}
