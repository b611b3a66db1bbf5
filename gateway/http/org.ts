import { Router, type Request, type Response } from 'express';
import { z, type ZodType } from 'zod';
import { EmployeeId, isAdminOpName, opPayloads, type OpName } from '../../schemas/index.js';
import { runAdmin } from '../admin/run.js';
import { callerOf, contextOf, failWith, parse, personAuth, sendError, wrap } from './util.js';
import type { HttpApiOptions } from './options.js';
import { handlers } from '../ops/index.js';

/**
 * The organisation over HTTP: the directory, presence and every admin op, answering what the
 * same op answers over MQTT. Callers authenticate with `Authorization: Bearer <login token>`.
 */
const PresenceIds = z.array(EmployeeId).min(1, 'give employee ids, comma separated').max(500);

export function orgRoutes(opts: HttpApiOptions): Router {
  const router = Router();

  // Every route here needs a caller and a ready gateway.
  router.use(personAuth(opts));
  const fail = failWith(opts.log);

  /** A read-only op over GET, its payload from the query string. */
  const op = (name: OpName, payloadOf: (req: Request) => unknown) =>
    wrap(async (req, res) => {
      const payload = parse(opPayloads[name] as ZodType<unknown>, payloadOf(req));
      if (!payload.ok) return sendError(res, payload.error);
      try {
        res.json(await handlers[name](contextOf(res), callerOf(res), payload.value as never));
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
        reply(res, await runAdmin(contextOf(res).admin, callerOf(res), name, payloadOf(req), 'http'));
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
  router.get('/admin/org/export', admin('admin.org.export', (req) => req.query, (res, result) => {
    const { format, data } = result as { format: 'json' | 'csv'; data: string };
    res.attachment(`mchat-organisation.${format}`).type(format === 'csv' ? 'text/csv' : 'application/json').send(data);
  }));
  router.post('/admin/:op', wrap((req, res, next) => {
    const name = `admin.${String(req.params.op)}`;
    if (!isAdminOpName(name) || name.startsWith('admin.audit.') || name === 'admin.org.export') return sendError(res, { code: 'E_NOT_FOUND', message: `unknown admin op "${name}"` });
    return admin(name, (r) => r.body)(req, res, next);
  }));

  return router;
}
