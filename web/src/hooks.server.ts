import { error, type Handle } from '@sveltejs/kit';
import { SESSION_COOKIE, me, sessionCookie } from '$lib/server/gateway';

// The profile is fetched on every server request rather than trusted from a cookie, so a disabled
// account or an expired token ends the session at the next page load.
export const handle: Handle = async ({ event, resolve }) => {
  event.locals.session = null;
  const token = event.cookies.get(SESSION_COOKIE);
  if (token) {
    const reply = await me(token);
    if (reply.ok) event.locals.session = { token, employee: reply.data.employee };
    else if (reply.error.code === 'E_AUTH') event.cookies.delete(SESSION_COOKIE, sessionCookie(event.url));
    else error(reply.status, reply.error.message);
  }
  return resolve(event);
};
