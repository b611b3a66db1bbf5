import { error } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

// The console is refused before it renders to anyone who is not an admin; the admin ops it runs
// refuse them anyway (E_FORBIDDEN), so this is for their sake, not the gate. (app)/+error.svelte
// says it in their language.
export const load: LayoutServerLoad = async ({ parent }) => {
  const { employee } = await parent();
  if (employee.role !== 'admin') error(403, 'The admin console is for admins only.');
};
