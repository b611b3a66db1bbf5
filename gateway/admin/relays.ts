import type { AdminPayload, Relay } from '../../schemas/index.js';
import { isDuplicateKey } from '../../store/bulk.js';
import type { Caller } from '../caller.js';
import { OpError } from '../errors.js';
import type { AdminContext, Outcome } from './context.js';

/**
 * Named relays, designed by admins: saving one again stores a new version next to the old, so a
 * workflow that started on version 3 finishes on version 3.
 */
export async function saveRelay(ctx: AdminContext, p: AdminPayload<'admin.relay.save'>, actor: Caller): Promise<Outcome<'admin.relay.save'>> {
  const agents = [...new Set(p.steps.map((s) => s.agent_id))];
  const found = await ctx.m.Employee.find({ id: { $in: agents }, is_ai_agent: true, status: 'active' }, { id: 1 }).lean();
  const missing = agents.filter((id) => !found.some((e) => e.id === id));
  if (missing.length) throw new OpError('E_NOT_FOUND', `no active agent ${missing.map((x) => `"${x}"`).join(', ')}`, 'payload.steps');
  for (let attempt = 0; attempt < 5; attempt++) {
    const latest = await ctx.m.Relay.findOne({ relay_id: p.relay_id }, { version: 1 }).sort({ version: -1 }).lean();
    const relay: Relay = { ...p, version: (latest?.version ?? 0) + 1, created_by: actor.id, created_at: Date.now() };
    try {
      await ctx.m.Relay.create(relay);
      return { result: { relay }, target: p.relay_id, before: latest ? { version: latest.version } : undefined, after: relay };
    } catch (err) {
      // Another admin saved the same relay at this moment: take the next version.
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new OpError('E_CONFLICT', `relay "${p.relay_id}" is being saved by someone else; retry`, 'payload.relay_id');
}

/** The latest version of every relay. */
export async function listRelays(ctx: AdminContext): Promise<Outcome<'admin.relay.list'>> {
  const all = await ctx.m.Relay.find({}, { _id: 0 }).sort({ relay_id: 1, version: -1 }).lean<Relay[]>();
  const relays = all.filter((r, i) => i === 0 || all[i - 1]!.relay_id !== r.relay_id);
  return { result: { relays }, target: null, after: { count: relays.length } };
}
