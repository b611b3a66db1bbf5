import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { ZodType } from 'zod';
import { AgentDocument, Department, Employee, Group, type AdminPayload, type ImportError, type ImportReport } from '../../schemas/index.js';
import { hashPassword } from '../../lib/auth.js';
import { setCredentials } from '../../store/credentials.js';
import { OpError } from '../errors.js';
import type { AdminContext, Outcome } from './context.js';
import { adminHandlers, checkWebhook } from './ops.js';
import { wouldCycle } from './org.js';

type Kind = 'department' | 'employee' | 'group' | 'agent';
type Doc = { department: Department; employee: Employee; group: Group; agent: AdminPayload<'admin.agent.create'> };

/** scrypt takes ~0.3 s and 128 MiB per hash: two at a time keeps the gateway answering others. */
const HASH_CONCURRENCY = 2;

const FIELDS: Record<Kind, readonly string[]> = {
  department: ['id', 'name', 'parent_id'],
  employee: ['id', 'name', 'title', 'department_id', 'manager_id', 'skills_badge', 'role'],
  group: ['id', 'name', 'owner_id', 'members'],
  // The agent document as the design writes it (see AgentDocument).
  agent: ['id', 'employee_id', 'name', 'avatar', 'title', 'department_id', 'manager_id', 'skills_badge', 'is_ai_agent', 'agent_profile'],
};
const SCHEMAS: { [K in Kind]: ZodType<Doc[K], unknown> } = { department: Department, employee: Employee, group: Group, agent: AgentDocument };
const DEFAULTS: Record<Kind, object> = { department: { parent_id: null }, employee: { department_id: null, manager_id: null }, group: {}, agent: {} };
const SECTIONS = { departments: 'department', employees: 'employee', groups: 'group', agents: 'agent' } as const;
const CSV_COLUMNS = ['id', 'name', 'title', 'department_id', 'department_name', 'manager_id', 'skills', 'role'];

/** One thing the file asks for; `columns` names the CSV column behind a field. */
interface Item { kind: Kind; row: number; raw: unknown; columns?: Record<string, string>; onlyIfMissing?: boolean }
interface Entry<K extends Kind> { item: Item; v: Doc[K] }

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const idOf = (item: Item) => {
  const id = isRecord(item.raw) ? (item.raw.id ?? item.raw.employee_id) : undefined;
  return typeof id === 'string' ? id : undefined;
};
const quoted = (ids: readonly string[]) => ids.slice(0, 5).map((x) => `"${x}"`).join(', ') + (ids.length > 5 ? ', …' : '');
const groupMembers = (g: Group) => [...new Set([g.owner_id, ...g.members])];
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && new Set([...a, ...b]).size === a.length;

function fromJson(data: string): { items: Item[]; errors: ImportError[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(data.replace(/^\uFEFF/, ''));
  } catch {
    throw new OpError('E_SCHEMA', 'data is not valid JSON', 'payload.data');
  }
  if (!isRecord(doc)) return { items: [], errors: [{ kind: 'file', row: 0, message: 'expected an object with departments, employees and groups' }] };
  const errors: ImportError[] = [];
  const items: Item[] = [];
  for (const key of Object.keys(doc)) {
    const kind = SECTIONS[key as keyof typeof SECTIONS];
    const list = doc[key];
    if (!kind) errors.push({ kind: 'file', row: 0, field: key, message: `unknown section "${key}"; expected departments, employees, groups, agents` });
    else if (!Array.isArray(list)) errors.push({ kind: 'file', row: 0, field: key, message: 'must be an array' });
    else list.forEach((raw, i) => items.push({ kind, row: i + 1, raw }));
  }
  return { items, errors };
}

function fromCsv(data: string): { items: Item[]; errors: ImportError[] } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(data, { bom: true, info: true, trim: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    const line = (err as { lines?: unknown }).lines;
    throw new OpError('E_SCHEMA', `CSV line ${typeof line === 'number' ? line : '?'}: ${(err as Error).message}`, 'payload.data');
  }
  const [head, ...rows] = records;
  const columns = head?.record ?? [];
  const problems = [
    ...(['id', 'name'].some((c) => !columns.includes(c)) ? [`the header must name the columns id and name (got ${columns.join(',') || 'nothing'})`] : []),
    ...(columns.some((c) => !CSV_COLUMNS.includes(c)) ? [`unknown columns ${quoted(columns.filter((c) => !CSV_COLUMNS.includes(c)))}; known: ${CSV_COLUMNS.join(',')}`] : []),
    ...(new Set(columns).size < columns.length ? ['a column is named twice'] : []),
  ];
  if (problems.length) return { items: [], errors: problems.map((message) => ({ kind: 'file', row: 1, message })) };

  const items: Item[] = [];
  const errors: ImportError[] = [];
  const named = new Map<string, { name: string; line: number }>();
  for (const { record, info } of rows) {
    const cell = (c: string) => record[columns.indexOf(c)] ?? '';
    const raw = {
      id: cell('id'), name: cell('name'), title: cell('title'),
      department_id: cell('department_id') || null, manager_id: cell('manager_id') || null,
      skills_badge: cell('skills').split(';').map((s) => s.trim()).filter(Boolean),
      ...(cell('role') ? { role: cell('role') } : {}),
    };
    items.push({ kind: 'employee', row: info.lines, raw, columns: { skills_badge: 'skills' } });
    const name = cell('department_name');
    const dept = raw.department_id;
    if (!name) continue;
    const first = dept ? named.get(dept) : undefined;
    if (!dept) errors.push({ kind: 'employee', row: info.lines, id: raw.id, field: 'department_name', message: 'department_name needs a department_id' });
    else if (first && first.name !== name) {
      errors.push({ kind: 'employee', row: info.lines, id: raw.id, field: 'department_name', message: `line ${first.line} names department "${dept}" "${first.name}"` });
    } else if (!first) {
      named.set(dept, { name, line: info.lines });
      items.push({ kind: 'department', row: info.lines, raw: { id: dept, name }, columns: { id: 'department_id', name: 'department_name' }, onlyIfMissing: true });
    }
  }
  return { items, errors };
}

/** Schema and duplicate checks: the first issue of each item, in file order. */
function validate<K extends Kind>(kind: K, items: readonly Item[], fail: (item: Item, field: string | undefined, message: string) => void): Entry<K>[] {
  const valid: Entry<K>[] = [];
  const seen = new Map<string, number>();
  for (const item of items.filter((i) => i.kind === kind)) {
    if (!isRecord(item.raw)) { fail(item, undefined, `each ${kind} must be an object`); continue; }
    const extra = Object.keys(item.raw).filter((k) => !FIELDS[kind].includes(k));
    if (extra.length) { fail(item, extra[0], `unknown field; a ${kind} has ${FIELDS[kind].join(', ')}`); continue; }
    const r = SCHEMAS[kind].safeParse({ ...DEFAULTS[kind], ...item.raw });
    if (!r.success) {
      const issue = r.error.issues[0];
      fail(item, issue?.path.map(String).join('.') || undefined, issue?.message ?? 'invalid');
      continue;
    }
    const before = seen.get(r.data.id);
    if (before !== undefined) { fail(item, 'id', `duplicate of row ${before}`); continue; }
    seen.set(r.data.id, item.row);
    valid.push({ item, v: r.data });
  }
  return valid;
}

const SAME: { [K in Kind]: (db: Doc[K], file: Doc[K]) => boolean } = {
  department: (db, f) => db.name === f.name && (db.parent_id ?? null) === f.parent_id,
  employee: (db, f) =>
    db.name === f.name && (db.title ?? '') === f.title && (db.department_id ?? null) === f.department_id &&
    (db.manager_id ?? null) === f.manager_id && sameSet(db.skills_badge ?? [], f.skills_badge) &&
    (db.role ?? 'member') === f.role && !db.is_ai_agent && db.status === 'active',
  group: (db, f) => db.name === f.name && db.owner_id === f.owner_id && !db.dissolved && sameSet(db.members, groupMembers(f)),
  // An agent made by an earlier run of the same file; its profile may have been edited since.
  agent: (db, f) => {
    const stored = db as unknown as Employee;
    return stored.is_ai_agent && stored.name === f.name && (stored.department_id ?? null) === f.department_id && (stored.manager_id ?? null) === f.manager_id;
  },
};

export async function importOrganisation(ctx: AdminContext, p: AdminPayload<'admin.import'>): Promise<Outcome<'admin.import'>> {
  const { items, errors } = p.format === 'json' ? fromJson(p.data) : fromCsv(p.data);
  const report: ImportReport = { ok: false, dry_run: p.dry_run, imported: false, create: { departments: [], employees: [], groups: [], agents: [] }, skip: [], errors };
  const fail = (item: Item, field: string | undefined, message: string) => {
    const [head, ...rest] = field?.split('.') ?? [];
    const column = head === undefined ? undefined : [item.columns?.[head] ?? head, ...rest].join('.');
    errors.push({ kind: item.kind, row: item.row, id: idOf(item), ...(column ? { field: column } : {}), message });
  };
  const files = {
    department: validate('department', items, fail), employee: validate('employee', items, fail), group: validate('group', items, fail),
    agent: validate('agent', items, fail),
  };
  // People and agents share one id space.
  const personIds = new Map(files.employee.map((e) => [e.v.id, e.item.row]));
  files.agent = files.agent.filter(({ item, v }) => {
    const row = personIds.get(v.id);
    if (row !== undefined) fail(item, 'id', `also in employees, row ${row}`);
    return row === undefined;
  });
  const joins = [...new Set(files.agent.flatMap((a) => a.v.agent_profile.auto_join_groups))];

  const m = ctx.m;
  const [dbDepartments, dbPeople, dbEmployees, dbGroups, dbJoins] = await Promise.all([
    m.Department.find({}, { _id: 0 }).lean<Department[]>(),
    m.Employee.find({}, { _id: 0, id: 1, manager_id: 1, status: 1 }).lean<Pick<Employee, 'id' | 'manager_id' | 'status'>[]>(),
    m.Employee.find({ id: { $in: [...files.employee, ...files.agent].map((e) => e.v.id) } }, { _id: 0 }).lean<Employee[]>(),
    m.Group.find({ id: { $in: files.group.map((g) => g.v.id) } }, { _id: 0 }).lean<Group[]>(),
    joins.length ? m.Group.find({ id: { $in: joins }, dissolved: false }, { _id: 0, id: 1 }).lean<Pick<Group, 'id'>[]>() : [],
  ]);
  // A department named in a CSV row is only created when it does not exist yet.
  const inDb = new Set(dbDepartments.map((d) => d.id));
  files.department = files.department.filter((d) => !(d.item.onlyIfMissing && inDb.has(d.v.id)));

  /** Ids already in the database: identical ones are skipped, different ones refused. */
  function fresh<K extends Kind>(kind: K, entries: Entry<K>[], existing: readonly Doc[K][]): Entry<K>[] {
    const byId = new Map(existing.map((d) => [d.id, d]));
    return entries.filter(({ item, v }) => {
      const db = byId.get(v.id);
      if (!db) return true;
      if (SAME[kind](db, v)) report.skip.push({ kind, id: v.id, reason: 'already exists with the same data' });
      else fail(item, 'id', `${kind} "${v.id}" already exists with different data`);
      return false;
    });
  }
  const departments = fresh('department', files.department, dbDepartments);
  const employees = fresh('employee', files.employee, dbEmployees);
  // A group the file's agents auto-join has them as members once imported: a re-import is not a change.
  const joiners = new Set(files.agent.map((a) => a.v.id));
  const withoutJoiners = (g: Group) => ({ ...g, members: g.members.filter((id) => !joiners.has(id)) });
  // Compared without the joiners, written as the file has them.
  const asInFile = new Map(files.group.map((g) => [g.item, g]));
  const groups = fresh('group', files.group.map((g) => ({ ...g, v: withoutJoiners(g.v) })), dbGroups.map(withoutJoiners))
    .map((g) => asInFile.get(g.item)!);
  const agents = fresh('agent', files.agent, dbEmployees as unknown as Doc['agent'][]);

  const knownDepartments = new Set([...inDb, ...files.department.map((d) => d.v.id)]);
  const active = new Set([...dbPeople.filter((e) => e.status === 'active').map((e) => e.id), ...files.employee.map((e) => e.v.id)]);
  // Loops are checked on the organisation as it would be after the import.
  const tree = new Map<string, string | null>([...dbDepartments.map((d) => [d.id, d.parent_id ?? null] as const), ...departments.map((d) => [d.v.id, d.v.parent_id] as const)]);
  const chain = new Map<string, string | null>([
    ...dbPeople.map((e) => [e.id, e.manager_id ?? null] as const), ...[...employees, ...agents].map((e) => [e.v.id, e.v.manager_id] as const),
  ]);

  for (const { item, v } of departments) {
    if (v.parent_id && !knownDepartments.has(v.parent_id)) fail(item, 'parent_id', `no department "${v.parent_id}" in the organisation or the file`);
    else if (wouldCycle(tree, v.id, v.parent_id)) fail(item, 'parent_id', `"${v.parent_id}" is inside "${v.id}": that would make a loop`);
  }
  for (const { item, v } of [...employees, ...agents]) {
    if (v.department_id && !knownDepartments.has(v.department_id)) fail(item, 'department_id', `no department "${v.department_id}" in the organisation or the file`);
    if (v.manager_id && !active.has(v.manager_id)) fail(item, 'manager_id', `no active employee "${v.manager_id}" in the organisation or the file`);
    else if (wouldCycle(chain, v.id, v.manager_id)) fail(item, 'manager_id', `"${v.manager_id}" reports to "${v.id}": that would make a loop`);
  }
  for (const { item, v } of groups) {
    const members = groupMembers(v);
    const unknown = members.filter((id) => !active.has(id));
    // The cap of admin.group.create: an import is no way around it.
    if (members.length > ctx.maxGroupSize) fail(item, 'members', `${members.length} members; a group has at most ${ctx.maxGroupSize}`);
    else if (unknown.length) fail(item, unknown.includes(v.owner_id) ? 'owner_id' : 'members', `no active employee ${quoted(unknown)} in the organisation or the file`);
  }

  const knownGroups = new Set([...dbJoins.map((g) => g.id), ...files.group.map((g) => g.v.id)]);
  for (const { item, v } of agents) {
    const unknown = v.agent_profile.auto_join_groups.filter((g) => !knownGroups.has(g));
    if (unknown.length) fail(item, 'agent_profile.auto_join_groups', `no group ${quoted(unknown)} in the organisation or the file`);
    else await checkWebhook(ctx, v.agent_profile.webhook_endpoint).catch((err: unknown) => fail(item, 'agent_profile.webhook_endpoint', (err as Error).message));
  }

  report.ok = errors.length === 0;
  report.create = {
    departments: departments.map((d) => d.v.id), employees: employees.map((e) => e.v.id), groups: groups.map((g) => g.v.id), agents: agents.map((a) => a.v.id),
  };
  if (report.ok && !p.dry_run) {
    report.passwords = await write(ctx, departments.map((d) => d.v), employees.map((e) => e.v), groups.map((g) => ({ ...g.v, members: groupMembers(g.v) })));
    report.secrets = await createAgents(ctx, agents.map((a) => a.v));
    report.imported = true;
  }
  const counts = {
    departments: report.create.departments.length, employees: report.create.employees.length, groups: report.create.groups.length,
    agents: report.create.agents.length,
  };
  // The audit entry says whether it went in; the passwords stay out of it.
  const after = { dry_run: p.dry_run, ok: report.ok, imported: report.imported, errors: errors.length, counts, ids: report.create };
  const refusal = report.ok ? undefined : { code: 'E_SCHEMA' as const, message: `${errors.length} problems; nothing imported` };
  return { result: report, target: null, after, ...(refusal ? { refusal } : {}) };
}

/**
 * Departments parents first, then people with their credentials, then groups. FerretDB has no
 * transactions: a crash midway leaves a prefix, which a re-import of the same file skips.
 */
async function write(ctx: AdminContext, departments: Department[], employees: Employee[], groups: Group[]): Promise<Record<string, string>> {
  const now = Date.now();
  const passwords = Object.fromEntries(employees.map((e) => [e.id, randomBytes(12).toString('base64url')]));
  // The slow hashing comes first, so the writes follow one another closely.
  const hashes = await mapLimit(employees, HASH_CONCURRENCY, (e) => hashPassword(passwords[e.id]!));
  if (departments.length) await ctx.m.Department.insertMany(parentsFirst(departments), { ordered: true });
  // Upserts: a credential left behind by an interrupted import must not block the next one.
  await setCredentials(ctx.m, employees.map((e, k) => ({ employee_id: e.id, set: { password_hash: hashes[k]! } })));
  const people = employees.map((e) => ({ ...e, created_at: now }));
  if (people.length) await ctx.m.Employee.insertMany(people, { ordered: true });
  const docs = groups.map((g) => ({ ...g, created_at: now, dissolved: false }));
  if (docs.length) await ctx.m.Group.insertMany(docs, { ordered: true });
  if (departments.length || people.length || docs.length) {
    await ctx.announce.settle([
      ...people.flatMap((e) => [ctx.announce.joined(e), ctx.announce.profile(e)]),
      ctx.announce.orgTree(),
      ...docs.map((g) => ctx.announce.groupMembership(g, { added: g.members })),
    ]);
  }
  return passwords;
}

/**
 * Agents after everything they refer to, one by one as admin.agent.create makes them (secret,
 * auto-join groups under their locks, capability cards announced), each answering its API secret.
 */
async function createAgents(ctx: AdminContext, agents: readonly Doc['agent'][]): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const agent of agents) secrets[agent.id] = (await adminHandlers['admin.agent.create'](ctx, agent)).result.api_secret;
  return secrets;
}

function parentsFirst(departments: readonly Department[]): Department[] {
  const byId = new Map(departments.map((d) => [d.id, d]));
  const out: Department[] = [];
  const done = new Set<string>();
  const visit = (d: Department): void => {
    if (done.has(d.id)) return;
    done.add(d.id);
    const parent = d.parent_id ? byId.get(d.parent_id) : undefined;
    if (parent) visit(parent);
    out.push(d);
  };
  departments.forEach(visit);
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
