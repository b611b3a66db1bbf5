import { redirect } from '@sveltejs/kit';
import { SESSION_COOKIE, sessionCookie } from '$lib/server/gateway';
import type { RequestHandler } from './$types';

// POST only: a GET that signs people out could be triggered by any link or image.
export const POST: RequestHandler = ({ cookies, url }) => {
  cookies.delete(SESSION_COOKIE, sessionCookie(url));
  redirect(303, '/login');
};
