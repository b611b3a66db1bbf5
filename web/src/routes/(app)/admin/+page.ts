import { redirect } from '@sveltejs/kit';

// The directory is where the console opens.
export const load = () => redirect(307, '/admin/directory');
