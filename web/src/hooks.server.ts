import { error, type Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { errorText } from '$lib/i18n/errors';
import { localeTag } from '$lib/i18n/locale.svelte';
import { paraglideMiddleware } from '$lib/paraglide/server';
import { SESSION_COOKIE, me, sessionCookie } from '$lib/server/gateway';

// Each request is rendered in the locale the middleware picks (the user's cookie, else
// Accept-Language, else English); the page tells the browser which, so it hydrates in the same one.
const language: Handle = ({ event, resolve }) =>
  paraglideMiddleware(event.request, ({ request, locale }) => {
    event.request = request;
    return resolve(event, {
      transformPageChunk: ({ html }) => html.replace('%mchat.lang%', localeTag(locale)).replace('%mchat.locale%', locale),
    });
  });

// The profile is fetched on every server request rather than trusted from a cookie, so a disabled
// account or an expired token ends the session at the next page load.
const session: Handle = async ({ event, resolve }) => {
  event.locals.session = null;
  const token = event.cookies.get(SESSION_COOKIE);
  if (token) {
    const reply = await me(token);
    if (reply.ok) event.locals.session = { token, employee: reply.data.employee };
    else if (reply.error.code === 'E_AUTH') event.cookies.delete(SESSION_COOKIE, sessionCookie(event.url));
    else error(reply.status, errorText(reply.error));
  }
  return resolve(event);
};

export const handle = sequence(language, session);
