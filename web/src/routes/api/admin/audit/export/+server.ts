import type { RequestHandler } from './$types';
import { auditExport } from '$lib/server/gateway';

// The admin console's audit export, on the app's origin with the session's token; the gateway
// decides who may (admins) and answers anyone else with its refusal, passed on as it is.
export const GET: RequestHandler = ({ locals, url }) => {
  if (!locals.session) return Response.json({ error: { code: 'E_AUTH', message: 'Sign in first.' } }, { status: 401 });
  return auditExport(locals.session.token, url.search);
};
