import { Router, type Request, type Response } from 'express';
import { z, type ZodType } from 'zod';
import { EmployeeId, isAdminOpName, opPayloads, type Employee, type OpName } from '../schemas/index.js';
import { runAdmin } from './admin/run.js';
import type { Caller, GatewayContext } from './context.js';
import { OpError, toErrorBody } from './errors.js';
import { bearer, parse, sendError, wrap } from './http-util.js';
import type { HttpApiOptions } from './http.js';
import { handlers } from './ops/index.js';

/**
 * The organisation over HTTP: the directory, presence and every admin op, answering what the
 * same op answers over MQTT. Callers authenticate with `Authorization: Bearer <login token>`.
 */
const PresenceIds = z.array(EmployeeId).min(1, 'give employee ids, comma separated').max(500);

export function orgRoutes(opts: HttpApiOptions): Router {
  const router = Router();

  // Every route here needs a caller and a ready gateway.
  router.use(wrap(async (req, res, next) => {
    const ctx = opts.context();
    if (!ctx) return sendError(res, { code: 'E_UNAVAILABLE', message: 'the gateway is starting; retry shortly' });
    const token = bearer(req);
    const claims = token ? await opts.tokens.verify(token) : undefined;
    const e = claims && (await opts.m.Employee.findOne({ id: claims.sub, status: 'active' }, { role: 1 }).lean<Pick<Employee, 'role'>>());
    if (!claims || !e) return sendError(res, { code: 'E_AUTH', message: 'missing, expired or revoked token' });
    res.locals.caller = { id: claims.sub, clientId: `${claims.sub}:http`, role: e.role } satisfies Caller;
    res.locals.ctx = ctx;
    next();
  }));

  const caller = (res: Response) => res.locals.caller as Caller;
  const context = (res: Response) => res.locals.ctx as GatewayContext;
  const fail = (res: Response, err: unknown) => {
    if (!(err instanceof OpError)) opts.log.error({ err }, 'http request failed');
    sendError(res, toErrorBody(err));
  };

  /** A read-only op over GET, its payload from the query string. */
  const op = (name: OpName, payloadOf: (req: Request) => unknown) =>
    wrap(async (req, res) => {
      const payload = parse(opPayloads[name] as ZodType<unknown>, payloadOf(req));
      if (!payload.ok) return sendError(res, payload.error);
      try {
        res.json(await handlers[name](context(res), caller(res), payload.value as never));
      } catch (err) {
        fail(res, err);
      }
    });

  router.get('/employees', op('employee.search', (req) => req.query));
  router.get('/employees/:id', op('employee.get', (req) => ({ id: req.params.id })));
  router.get('/org/tree', op('org.tree', () => ({})));

  router.get('/presence', wrap(async (req, res) => {
    const ids = parse(PresenceIds, String(req.query.ids ?? '').split(',').filter(Boolean));
    if (!ids.ok) return sendError(res, { ...ids.error, field: `ids${ids.error.field ? '.' + ids.error.field : ''}` });
    const raw = await opts.presence.get(ids.value);
    res.json({ presence: raw });
  }));

  const admin = (name: string, payloadOf: (req: Request) => unknown, reply = (res: Response, result: unknown) => void res.json(result)) =>
    wrap(async (req, res) => {
      try {
        reply(res, await runAdmin(context(res).admin, caller(res), name, payloadOf(req), 'http'));
      } catch (err) {
        fail(res, err);
      }
    });

  router.get('/admin/audit', admin('admin.audit.query', (req) => req.query));
  router.get('/admin/audit/export', admin('admin.audit.export', (req) => req.query, (res, result) => {
    const { format, data } = result as { format: 'csv' | 'ndjson'; data: string };
    // attachment() first: it sets a type from the extension, which .ndjson does not have.
    res.attachment(`mchat-audit.${format}`)
      .type(format === 'csv' ? 'text/csv' : 'application/x-ndjson')
      .send(data);
  }));
  router.post('/admin/:op', wrap((req, res, next) => {
    const name = `admin.${String(req.params.op)}`;
    if (!isAdminOpName(name) || name.startsWith('admin.audit.')) return sendError(res, { code: 'E_NOT_FOUND', message: `unknown admin op "${name}"` });
    return admin(name, (r) => r.body)(req, res, next);
  }));

  return router;
}
