import { fail, redirect } from '@sveltejs/kit';
import { SESSION_COOKIE, login, sessionCookie } from '$lib/server/gateway';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  if (locals.session) redirect(303, '/chat');
};

export const actions: Actions = {
  default: async ({ request, cookies, url }) => {
    const form = await request.formData();
    const employee_id = String(form.get('employee_id') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const reply = await login(employee_id, password);
    // The page words the refusal in the reader's language from its code.
    if (!reply.ok) return fail(reply.status, { employee_id, error: reply.error });
    cookies.set(SESSION_COOKIE, reply.data.token, { ...sessionCookie(url), expires: new Date(reply.data.expires_at) });
    redirect(303, '/chat');
  },
};
