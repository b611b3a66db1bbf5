import { ulid } from 'ulid';
import { ADMIN_READ_OPS, adminPayloads, isAdminOpName, schemaError, type AdminOpName, type AdminPayload, type AuditEntry } from '../../schemas/index.js';
import type { Caller } from '../caller.js';
import { OpError, toErrorBody } from '../errors.js';
import { cockpit } from './cockpit.js';
import { listEmployees } from './directory.js';
import { exportOrganisation } from './export.js';
import { importOrganisation } from './import.js';
import type { AdminContext, Outcome } from './context.js';
import { adminHandlers } from './ops.js';
import { listRelays, saveRelay } from './relays.js';
import { createSchedule, listSchedules, pauseSchedule } from './schedules.js';

export type Via = AuditEntry['via'];

type OutsideOp = Exclude<AdminOpName, keyof typeof adminHandlers>;

// Ops outside ops.ts: reading the directory and the audit log (themselves audited: who looked
// matters), the import, the export, the cockpit's figures, named relays and schedules (which
// record who made them).
const OUTSIDE_OPS: { [O in OutsideOp]: (c: AdminContext, p: AdminPayload<O>, actor: Caller) => Promise<Outcome<O>> } = {
  'admin.employee.list': listEmployees,
  'admin.audit.query': queryAudit,
  'admin.audit.export': exportAudit,
  'admin.import': importOrganisation,
  'admin.org.export': exportOrganisation,
  'admin.cockpit': cockpit,
  'admin.relay.save': saveRelay,
  'admin.relay.list': listRelays,
  'admin.schedule.create': createSchedule,
  'admin.schedule.pause': pauseSchedule,
  'admin.schedule.list': listSchedules,
};

/** Ops after which the gateway's routing snapshot of active agents is stale. */
const AGENT_CHANGES = new Set<string>([
  'admin.agent.create', 'admin.agent.update', 'admin.employee.disable', 'admin.employee.enable', 'admin.employee.update', 'admin.import',
]);

function auditFilter(p: AdminPayload<'admin.audit.export'> | AdminPayload<'admin.audit.query'>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (p.actor) filter.actor = p.actor;
  const op: Record<string, unknown> = {};
  if (p.op) op.$eq = p.op;
  if (p.kind === 'changes') op.$nin = ADMIN_READ_OPS;
  if (p.kind === 'reads') op.$in = ADMIN_READ_OPS;
  if (Object.keys(op).length) filter.op = op;
  if (p.target) filter.target = p.target;
  const ts: Record<string, number> = {};
  if (p.since !== undefined) ts.$gte = p.since;
  if (p.until !== undefined) ts.$lte = p.until;
  if (Object.keys(ts).length) filter.ts = ts;
  return filter;
}

async function queryAudit(ctx: AdminContext, p: AdminPayload<'admin.audit.query'>): Promise<Outcome<'admin.audit.query'>> {
  const filter = auditFilter(p);
  if (p.before_id) filter.audit_id = { $lt: p.before_id };
  const entries = await ctx.m.Audit.find(filter, { _id: 0 }).sort({ audit_id: -1 }).limit(p.limit + 1).lean<AuditEntry[]>();
  const page = entries.slice(0, p.limit);
  return { result: { entries: page, has_more: entries.length > p.limit }, target: null, after: { count: page.length } };
}

const EXPORT_LIMIT = 100_000;
const CSV_COLUMNS = ['audit_id', 'ts', 'actor', 'op', 'target', 'ok', 'error', 'before', 'after', 'via'] as const;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The matching entries, oldest first, as CSV (one JSON cell per structured field) or NDJSON. */
async function exportAudit(ctx: AdminContext, p: AdminPayload<'admin.audit.export'>): Promise<Outcome<'admin.audit.export'>> {
  const entries = await ctx.m.Audit.find(auditFilter(p), { _id: 0 }).sort({ audit_id: 1 }).limit(EXPORT_LIMIT).lean<AuditEntry[]>();
  const data = p.format === 'ndjson'
    ? entries.map((e) => JSON.stringify(e)).join('\n')
    : [CSV_COLUMNS.join(','), ...entries.map((e) => CSV_COLUMNS.map((c) => csvCell(e[c])).join(','))].join('\r\n');
  return { result: { format: p.format, count: entries.length, data }, target: null, after: { count: entries.length, format: p.format } };
}

/**
 * Runs one admin op for `actor`: only admins may, the payload is checked, and every attempt —
 * done or refused — becomes one audit entry. The audit log has no op that edits or deletes.
 */
export async function runAdmin(ctx: AdminContext, actor: Caller, op: string, payload: unknown, via: Via): Promise<unknown> {
  const entry: AuditEntry = { audit_id: ulid(), ts: Date.now(), actor: actor.id, op, target: targetOf(payload), ok: false, via };
  try {
    // Role first: a member learns nothing about which admin ops exist.
    if (actor.role !== 'admin') throw new OpError('E_FORBIDDEN', 'admin ops are for admins only');
    if (!isAdminOpName(op)) throw new OpError('E_NOT_FOUND', `unknown admin op "${op}"`, 'op');
    const parsed = adminPayloads[op].safeParse(payload);
    if (!parsed.success) {
      const { message, field } = schemaError(parsed.error, 'payload');
      throw new OpError('E_SCHEMA', message, field);
    }
    const handler = (op in OUTSIDE_OPS ? OUTSIDE_OPS[op as OutsideOp] : adminHandlers[op as keyof typeof adminHandlers]) as (c: AdminContext, p: unknown, a: Caller) => Promise<Outcome>;
    const outcome = await handler(ctx, parsed.data, actor);
    // Before answering, so the admin's next message already reaches the new agent.
    if (AGENT_CHANGES.has(op)) await ctx.onAgentsChanged?.();
    Object.assign(entry, { ok: !outcome.refusal, target: outcome.target, before: outcome.before, after: outcome.after });
    if (outcome.refusal) entry.error = outcome.refusal;
    await ctx.m.Audit.create(entry);
    return outcome.result;
  } catch (err) {
    const { code, message } = toErrorBody(err);
    await ctx.m.Audit.create({ ...entry, error: { code, message } }).catch(() => undefined);
    throw err;
  }
}

function targetOf(payload: unknown): string | null {
  const p = payload as { id?: unknown; relay_id?: unknown; schedule_id?: unknown } | null;
  const id = p?.id ?? p?.relay_id ?? p?.schedule_id;
  return typeof id === 'string' ? id.slice(0, 140) : null;
}
