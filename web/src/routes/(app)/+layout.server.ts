import { redirect } from '@sveltejs/kit';
import { env } from '$env/dynamic/public';
import { maxUploadBytes } from '$lib/server/limits';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
  if (!locals.session) redirect(303, '/login');
  // The browser connects to the broker itself, so it needs the token the cookie keeps from scripts.
  return {
    employee: locals.session.employee,
    token: locals.session.token,
    wsUrl: env.PUBLIC_MQTT_WS_URL || 'ws://localhost:8083/mqtt',
    maxUploadBytes: maxUploadBytes(),
  };
};
