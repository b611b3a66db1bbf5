import type { AdminPayload } from '../../schemas/index.js';
import type { AdminContext, Outcome } from './ops.js';

/** Placeholder being written now (see the helper's task); replaced before commit. */
export async function importOrganisation(_ctx: AdminContext, _p: AdminPayload<'admin.import'>): Promise<Outcome> {
  throw new Error('not written yet');
}
