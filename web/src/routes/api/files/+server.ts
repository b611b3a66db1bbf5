import type { RequestHandler } from './$types';
import { UploadQuery } from '$schemas';
import { maxUploadBytes } from '$lib/server/limits';
import { uploadToGateway } from '$lib/server/gateway';

const refuse = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });

// The browser uploads on the app's origin with its session cookie; the gateway wants the token.
export const POST: RequestHandler = ({ locals, request, url }) => {
  if (!locals.session) return refuse(401, 'E_AUTH', 'sign in first');
  const query = UploadQuery.safeParse({ name: url.searchParams.get('name') ?? undefined });
  if (!query.success) return refuse(400, 'E_SCHEMA', `name: ${query.error.issues[0]?.message ?? 'invalid'}`);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxUploadBytes()) return refuse(413, 'E_TOO_LARGE', `a file may be at most ${maxUploadBytes()} bytes`);
  return uploadToGateway(locals.session.token, request, query.data.name);
};
