import type { AdminPayload, Cockpit, Handoff, Task, WorkflowRun } from '../../schemas/index.js';
import { dayOf } from '../../store/pages.js';
import type { AdminContext, Outcome } from './context.js';

const DAY_MS = 86_400_000;
/** How long approvals have waited, as the cockpit groups them: an hour, a day, a week, longer. */
const AGE_BOUNDS = [3_600_000, DAY_MS, 7 * DAY_MS, null] as const;
/** The newest hand-offs whose pick-up time is looked up (one small query each). */
const HANDOFFS_MEASURED = 200;

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * The organisation's figures (数据驾驶舱). Counting is left to the database wherever the local
 * FerretDB can do it from an index — messages by their stored `day`, an equality it hands to
 * PostgreSQL, one count per day and a `$group` of that day's writers — and the rest is read
 * narrowly: the period's workflow mirrors (for answer times, which no FerretDB accumulator gives),
 * the pending tasks, the period's hand-offs.
 */
export async function cockpit(ctx: AdminContext, p: AdminPayload<'admin.cockpit'>): Promise<Outcome<'admin.cockpit'>> {
  const { m } = ctx;
  const now = Date.now();
  const today = dayOf(now);
  const days = Array.from({ length: p.days }, (_, i) => today - p.days + 1 + i);
  const since = days[0]! * DAY_MS;

  const agents = await m.Employee.find({ is_ai_agent: true }, { _id: 0, id: 1, name: 1 }).lean<{ id: string; name: string }[]>();
  const agentIds = agents.map((a) => a.id);
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));

  const [perDay, runs, pending, handoffs] = await Promise.all([
    Promise.all(days.map(async (day) => {
      const [all, recalled, fromAgents, writers] = await Promise.all([
        m.Message.countDocuments({ day }),
        m.Message.countDocuments({ day, recalled: true }),
        agentIds.length ? m.Message.countDocuments({ day, from: { $in: agentIds } }) : 0,
        m.Message.aggregate<{ _id: string }>([{ $match: { day } }, { $group: { _id: '$from' } }]),
      ]);
      return { day, messages: all - recalled, fromAgents, writers: writers.map((w) => w._id) };
    })),
    m.WorkflowRun.find({ started_at: { $gte: since } }, { _id: 0, hops: 1 }).lean<Pick<WorkflowRun, 'hops'>[]>(),
    m.Task.find({ state: 'pending' }, { _id: 0, created_at: 1 }).lean<Pick<Task, 'created_at'>[]>(),
    m.Handoff.find({ since: { $gte: since } }, { _id: 0 }).sort({ since: -1 }).lean<Handoff[]>(),
  ]);

  const writers = new Set(perDay.flatMap((d) => d.writers));
  const agentSet = new Set(agentIds);

  const byAgent = new Map<string, { calls: number; answered: number; failed: number; times: number[] }>();
  for (const hop of runs.flatMap((r) => r.hops ?? [])) {
    const a = byAgent.get(hop.agent_id) ?? { calls: 0, answered: 0, failed: 0, times: [] };
    a.calls++;
    if (hop.status === 'answered') {
      a.answered++;
      if (hop.finished_at !== undefined) a.times.push(hop.finished_at - hop.started_at);
    } else if (hop.status === 'failed') a.failed++;
    byAgent.set(hop.agent_id, a);
  }

  const ages = pending.map((t) => now - t.created_at);
  const pickups = (await Promise.all(handoffs.slice(0, HANDOFFS_MEASURED).map(async (h) => {
    const first = await m.Message.findOne({ conversation_id: h.conversation_id, from: h.human_id, ts: { $gte: h.since } }, { _id: 0, ts: 1 }).sort({ ts: 1 }).lean<{ ts: number }>();
    return first ? first.ts - h.since : null;
  }))).filter((t): t is number => t !== null);

  const result: Cockpit = {
    since, until: now,
    days: perDay.map((d) => ({ day: isoDay(d.day), messages: d.messages, from_agents: d.fromAgents })),
    active: { people: [...writers].filter((id) => !agentSet.has(id)).length, agents: [...writers].filter((id) => agentSet.has(id)).length },
    agents: [...byAgent].map(([agent_id, a]) => ({
      agent_id, name: agentNames.get(agent_id) ?? agent_id, calls: a.calls, answered: a.answered, failed: a.failed, p95_ms: percentile(a.times, 95),
    })).sort((x, y) => y.calls - x.calls || x.agent_id.localeCompare(y.agent_id)),
    approvals: {
      pending: pending.length,
      oldest_ms: ages.length ? Math.max(...ages) : null,
      by_age: AGE_BOUNDS.map((bound, i) => {
        const lower = i === 0 ? 0 : AGE_BOUNDS[i - 1]!;
        return { within_ms: bound, count: ages.filter((a) => a >= lower && (bound === null || a < bound)).length };
      }),
    },
    handoffs: {
      opened: handoffs.length, active: handoffs.filter((h) => h.state === 'active').length, picked_up: pickups.length,
      pickup_p50_ms: percentile(pickups, 50), pickup_p95_ms: percentile(pickups, 95),
    },
  };
  return { result, target: null, after: { days: p.days } };
}
