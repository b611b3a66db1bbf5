import express, { type ErrorRequestHandler } from 'express';
import { EmqxAuthnRequest, EmqxAuthzRequest, LoginRequest, publicProfile } from '../../schemas/index.js';
import { secretEquals } from '../../lib/auth.js';
import { orgCache } from '../../store/org-cache.js';
import { canPublish, canSubscribe } from '../broker/acl.js';
import { login, mqttAuthenticator } from '../auth.js';
import { toErrorBody } from '../errors.js';
import { checkHealth } from './health.js';
import { bearer, parse, sendError, wrap } from './util.js';
import { orgRoutes } from './org.js';
import { agentRoutes } from './agents.js';
import { mediaRoutes } from './media.js';
import type { HttpApiOptions } from './options.js';

export function httpApi(opts: HttpApiOptions): express.Express {
  const { m, tokens, log } = opts;
  const app = express();
  app.disable('x-powered-by');
  // Organisation imports are the one body allowed to be large; its parser runs first.
  app.post('/api/admin/import', express.json({ limit: '6mb' }));
  // File uploads stream their raw body themselves: before any parser.
  if (opts.media) app.use(mediaRoutes({ ...opts.media, m, tokens, log }));
  app.use(agentRoutes(opts));
  app.use(express.json({ limit: '64kb' }));

  const send = sendError;

  app.get('/healthz', wrap(async (_req, res) => {
    const report = await checkHealth(opts.probes);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  }));

  app.post('/api/login', wrap(async (req, res) => {
    const parsed = parse(LoginRequest, req.body);
    if (!parsed.ok) return send(res, parsed.error);
    const body = parsed.value;
    const result = await login(opts.auth, body.employee_id, body.password);
    if (!result) {
      log.warn({ employee_id: body.employee_id, ip: req.ip }, 'login refused');
      return send(res, { code: 'E_AUTH', message: 'unknown employee or wrong password' });
    }
    log.info({ employee_id: body.employee_id }, 'login');
    res.json(result);
  }));

  app.get('/api/me', wrap(async (req, res) => {
    const token = bearer(req);
    const claims = token ? await tokens.verify(token) : undefined;
    if (!claims) return send(res, { code: 'E_AUTH', message: 'missing or expired token' });
    const employee = await orgCache(m).activeEmployee(claims.sub);
    if (!employee) return send(res, { code: 'E_AUTH', message: 'account disabled' });
    res.json({ employee: publicProfile(employee) });
  }));

  // EMQX's HTTP authentication and authorization call these, so EMQX enforces the same rules as
  // the embedded broker. Only EMQX, holding the service secret, may ask.
  const internal = express.Router();
  internal.use((req, res, next) => {
    const given = bearer(req) ?? '';
    if (secretEquals(given, opts.serviceSecret)) return next();
    send(res, { code: 'E_AUTH', message: 'service secret required' });
  });
  const authenticate = mqttAuthenticator(opts.auth);
  internal.post('/authn', wrap(async (req, res) => {
    const parsed = parse(EmqxAuthnRequest, req.body);
    if (!parsed.ok) return send(res, parsed.error);
    const body = parsed.value;
    const principal = await authenticate(body.clientid, body.username, body.password);
    res.json({ result: principal ? 'allow' : 'deny', is_superuser: principal?.kind === 'service' });
  }));
  internal.post('/authz', wrap(async (req, res) => {
    const parsed = parse(EmqxAuthzRequest, req.body);
    if (!parsed.ok) return send(res, parsed.error);
    const body = parsed.value;
    const employee = await orgCache(m).activeEmployee(body.username);
    if (!employee || !body.clientid.startsWith(`${body.username}:`)) return res.json({ result: 'deny' });
    const principal = { kind: 'employee', id: body.username, clientId: body.clientid, role: employee.role } as const;
    const ok = body.action === 'publish'
      ? canPublish(principal, body.topic)
      : await canSubscribe(principal, body.topic, opts.memberships);
    res.json({ result: ok ? 'allow' : 'deny' });
  }));
  app.use('/internal/emqx', internal);
  app.use('/api', orgRoutes(opts));

  app.use((_req, res) => send(res, { code: 'E_NOT_FOUND', message: 'no such endpoint' }));
  const onError: ErrorRequestHandler = (err: { type?: string; status?: number }, req, res, _next) => {
    if (err.type === 'entity.parse.failed') return send(res, { code: 'E_SCHEMA', message: 'body is not valid JSON' });
    if (err.type === 'entity.too.large') return send(res, { code: 'E_TOO_LARGE', message: 'body is larger than this endpoint accepts' });
    const body = toErrorBody(err);
    log.error({ err, path: req.path }, 'http request failed');
    send(res, body);
  };
  app.use(onError);
  return app;
}
