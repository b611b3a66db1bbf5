import { env } from '$env/dynamic/private';
import { ErrorBody, type PublicProfile } from '$schemas';

export const SESSION_COOKIE = 'mchat_session';

/** Set and delete must agree on these, or the browser keeps the cookie. */
export function sessionCookie(url: URL) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // SvelteKit defaults to Secure, which browsers drop on plain-http hosts other than localhost.
    secure: url.protocol === 'https:',
  } as const;
}

export type LoginResult = { token: string; expires_at: number; employee: PublicProfile };

type Reply<T> = { ok: true; data: T } | { ok: false; status: number; error: ErrorBody };

const gatewayUrl = () => env.GATEWAY_URL || 'http://127.0.0.1:8080';

/** One call to the gateway's HTTP API; failures come back as protocol errors, never as throws. */
async function call<T>(path: string, init: RequestInit): Promise<Reply<T>> {
  let res: Response;
  try {
    res = await fetch(new URL(path, gatewayUrl()), { ...init, signal: AbortSignal.timeout(10_000) });
  } catch {
    return { ok: false, status: 503, error: { code: 'E_UNAVAILABLE', message: 'The MChat gateway cannot be reached. Try again shortly.' } };
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (res.ok) return { ok: true, data: body as T };
  const parsed = ErrorBody.safeParse((body as { error?: unknown } | undefined)?.error);
  const error = parsed.success ? parsed.data : { code: 'E_INTERNAL' as const, message: `The gateway answered HTTP ${res.status}.` };
  return { ok: false, status: res.status, error };
}

export function login(employee_id: string, password: string): Promise<Reply<LoginResult>> {
  return call('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ employee_id, password }),
  });
}

export function me(token: string): Promise<Reply<{ employee: PublicProfile }>> {
  return call('/api/me', { headers: { authorization: `Bearer ${token}` } });
}

/** Headers of a file download worth passing on to the browser as they are. */
const FILE_HEADERS = ['content-type', 'content-length', 'content-disposition', 'cache-control', 'x-content-type-options', 'content-security-policy'];

/** Streams a file from the gateway's signed link; its refusals (403, 404) pass through unchanged. */
export async function fileFromGateway(objectId: string, search: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(new URL(`/api/files/${encodeURIComponent(objectId)}${search}`, gatewayUrl()), { signal: AbortSignal.timeout(30_000) });
  } catch {
    return new Response('The MChat gateway cannot be reached. Try again shortly.', { status: 503 });
  }
  const headers = new Headers();
  for (const name of FILE_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(res.body, { status: res.status, headers });
}

/**
 * Streams an upload on to the gateway's `POST /api/files` as the signed-in employee; its answer,
 * the stored file or a protocol error, comes back as it is.
 */
export async function uploadToGateway(token: string, request: Request, name: string): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': request.headers.get('content-type') || 'application/octet-stream' };
  const length = request.headers.get('content-length');
  if (length) headers['content-length'] = length;
  let res: Response;
  try {
    res = await fetch(new URL(`/api/files?${new URLSearchParams({ name })}`, gatewayUrl()), {
      method: 'POST',
      headers,
      body: request.body,
      // Node's fetch needs this to stream a request body.
      duplex: 'half',
      signal: AbortSignal.timeout(10 * 60_000),
    } as RequestInit);
  } catch {
    return Response.json({ error: { code: 'E_UNAVAILABLE', message: 'The MChat gateway cannot be reached. Try again shortly.' } }, { status: 503 });
  }
  return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' } });
}

/**
 * The audit log as a file (`admin.audit.export` over HTTP), streamed on as the gateway sends it:
 * a file of the whole log may be larger than the broker lets one MQTT message be.
 */
export async function auditExport(token: string, search: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(new URL(`/api/admin/audit/export${search}`, gatewayUrl()), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(120_000),
    });
  } catch {
    return Response.json({ error: { code: 'E_UNAVAILABLE', message: 'The MChat gateway cannot be reached. Try again shortly.' } }, { status: 503 });
  }
  const headers = new Headers();
  for (const name of ['content-type', 'content-length', 'content-disposition']) {
    const value = res.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(res.body, { status: res.status, headers });
}
