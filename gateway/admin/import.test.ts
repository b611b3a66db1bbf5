import type { Connection } from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { verifyPassword } from '../../lib/auth.js';
import { connectDb, models, type Models } from '../../store/db.js';
import { createLogger } from '../../lib/logger.js';
import type { PublishOptions, Publisher } from '../../store/publisher.js';
import { topics, type ImportError, type ImportReport } from '../../schemas/index.js';
import { OpError } from '../errors.js';
import { OrgAnnouncer, type LiveAcl } from './effects.js';
import { importOrganisation } from './import.js';
import type { AdminContext } from './context.js';

const { mongoUrl } = inject('services');

let conn: Connection;
let m: Models;
let ctx: AdminContext;
const published: { topic: string; message: unknown; opts: PublishOptions }[] = [];
const refreshed: string[][] = [];

beforeAll(async () => {
  conn = await connectDb(mongoUrl.replace(/\/mchat$/, `/t_import_${Date.now()}`));
  m = models(conn);
  const publisher: Publisher = { publish: async (topic, message, opts) => void published.push({ topic, message, opts }) };
  const acl: LiveAcl = { refresh: async (ids) => void refreshed.push([...ids]), disconnect: () => undefined };
  ctx = { m, announce: new OrgAnnouncer(m, publisher, acl, createLogger('test', 'silent')), production: false, maxGroupSize: 5_000,
    // The import inserts only (unique indexes guard it); nothing here runs under a lock.
    writes: { run: (_keys, work) => work() } };
});

afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

beforeEach(async () => {
  await Promise.all([m.Department, m.Employee, m.Credential, m.Group].map((model) => (model as typeof m.Group).deleteMany({})));
  published.length = 0;
  refreshed.length = 0;
});

async function run(format: 'json' | 'csv', data: unknown, dry_run = true) {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  const outcome = await importOrganisation(ctx, { format, data: text, dry_run });
  return { report: outcome.result as ImportReport, after: outcome.after as Record<string, unknown>, outcome };
}

async function counts() {
  const [departments, employees, credentials, groups] = await Promise.all([
    m.Department.countDocuments(), m.Employee.countDocuments(), m.Credential.countDocuments(), m.Group.countDocuments(),
  ]);
  return { departments, employees, credentials, groups };
}

const seedEmployee = (id: string, extra: Record<string, unknown> = {}) =>
  m.Employee.create({ id, name: id.toUpperCase(), department_id: null, manager_id: null, ...extra });

// The child comes before its parent on purpose: the writer must order them.
const ORG = {
  departments: [{ id: 'eng', name: 'Engineering', parent_id: 'hq' }, { id: 'hq', name: 'Head office' }],
  employees: [
    { id: 'ceo', name: 'Ada', title: 'CEO', department_id: 'hq', role: 'admin' },
    { id: 'dev', name: 'Bo', department_id: 'eng', manager_id: 'lead', skills_badge: ['go', 'ts'] },
    { id: 'lead', name: 'Cy', title: 'Lead', department_id: 'eng', manager_id: 'ceo' },
  ],
  groups: [{ id: 'eng-all', name: 'Engineering', owner_id: 'lead', members: ['dev'] }],
};

/** An agent as the design writes its document. */
const EXPENSE = {
  employee_id: 'a_expense', name: '报销机器人', is_ai_agent: true, department_id: 'eng', manager_id: 'lead', skills_badge: ['报销'],
  agent_profile: {
    model_type: 'gpt-4', capabilities: ['报销审核'], response_timeout: 15,
    webhook_endpoint: 'http://127.0.0.1:9/agents/expense', auto_join_groups: ['eng-all'],
  },
};

describe('importOrganisation (JSON)', () => {
  it("imports agents as the design writes them, after what they refer to, each with a one-time API secret", async () => {
    const file = { ...ORG, agents: [EXPENSE] };
    const dry = await run('json', file);
    expect(dry.report).toMatchObject({ ok: true, imported: false, create: { agents: ['a_expense'] } });
    expect(await m.Employee.countDocuments({ id: 'a_expense' })).toBe(0);

    const { report, after } = await run('json', file, false);
    expect(report).toMatchObject({ ok: true, imported: true, errors: [] });
    const secret = report.secrets?.a_expense;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect((await m.Credential.findOne({ employee_id: 'a_expense' }).lean())?.api_secret).toBe(secret);
    expect(JSON.stringify(after)).not.toContain(secret);
    const agent = await m.Employee.findOne({ id: 'a_expense' }, { _id: 0 }).lean();
    expect(agent).toMatchObject({ is_ai_agent: true, status: 'active', department_id: 'eng', manager_id: 'lead', agent_profile: { response_timeout: 15_000 } });
    expect(agent?.agent_profile?.capabilities).toEqual([expect.objectContaining({ name: '报销审核' })]);
    expect((await m.Group.findOne({ id: 'eng-all' }).lean())?.members).toEqual(['lead', 'dev', 'a_expense']);
    expect(published.some((p) => p.topic === topics.capability(agent!.agent_profile!.capabilities[0]!.id))).toBe(true);

    // The same file again: the agent is there, so it is skipped, and no new secret is made.
    const again = await run('json', file, false);
    expect(again.report.errors).toEqual([]);
    expect(again.report.skip).toContainEqual({ kind: 'agent', id: 'a_expense', reason: expect.any(String) });
    expect(again.report.secrets).toEqual({});
  });


  it('imports more people than one credential command holds, over credentials an interrupted import left', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    await m.Credential.insertMany(ids.slice(0, 40).map((employee_id) => ({ employee_id, password_hash: 'left-behind' })));
    const { report } = await run('json', { employees: ids.map((id) => ({ id, name: id.toUpperCase() })) }, false);
    expect(report).toMatchObject({ ok: true, imported: true });
    expect(await counts()).toMatchObject({ employees: 60, credentials: 60 });
    for (const id of [ids[0]!, ids[39]!, ids[59]!]) {
      const cred = await m.Credential.findOne({ employee_id: id }).lean();
      expect(await verifyPassword(report.passwords![id]!, cred!.password_hash!)).toBe(true);
    }
    // 60 scrypt hashes at the production cost: about 40 s of one core, so room beyond the default.
  }, 180_000);

  it('dry run reports what would be created and writes nothing', async () => {
    const { report, after } = await run('json', ORG);
    expect(report).toMatchObject({
      ok: true, dry_run: true, imported: false, errors: [], skip: [],
      create: { departments: ['eng', 'hq'], employees: ['ceo', 'dev', 'lead'], groups: ['eng-all'] },
    });
    expect(report.passwords).toBeUndefined();
    expect(after).toMatchObject({ dry_run: true, imported: false, counts: { departments: 2, employees: 3, groups: 1 } });
    expect(await counts()).toEqual({ departments: 0, employees: 0, credentials: 0, groups: 0 });
    expect(published).toEqual([]);
  });

  it('imports, returns verifiable one-time passwords outside the audit record, and announces', async () => {
    const { report, after } = await run('json', ORG, false);
    expect(report).toMatchObject({ ok: true, dry_run: false, imported: true, errors: [] });
    expect(await counts()).toEqual({ departments: 2, employees: 3, credentials: 3, groups: 1 });
    expect(await m.Department.findOne({ id: 'eng' }).lean()).toMatchObject({ name: 'Engineering', parent_id: 'hq', head_id: null });
    expect(await m.Employee.findOne({ id: 'dev' }).lean()).toMatchObject({
      name: 'Bo', title: '', department_id: 'eng', manager_id: 'lead', skills_badge: ['go', 'ts'], role: 'member',
      status: 'active', is_ai_agent: false, created_at: expect.any(Number),
    });
    expect(await m.Employee.findOne({ id: 'ceo' }).lean()).toMatchObject({ role: 'admin' });
    expect(await m.Group.findOne({ id: 'eng-all' }).lean()).toMatchObject({ owner_id: 'lead', members: ['lead', 'dev'], dissolved: false });

    const passwords = report.passwords ?? {};
    expect(Object.keys(passwords).sort()).toEqual(['ceo', 'dev', 'lead']);
    for (const [id, password] of Object.entries(passwords)) {
      expect(password).toMatch(/^[A-Za-z0-9_-]{12,}$/);
      const cred = await m.Credential.findOne({ employee_id: id }).lean();
      expect(await verifyPassword(password, cred!.password_hash!)).toBe(true);
      expect(JSON.stringify(after)).not.toContain(password);
    }
    expect(after).toEqual({
      dry_run: false, ok: true, imported: true, errors: 0,
      counts: { departments: 2, employees: 3, groups: 1, agents: 0 }, ids: report.create,
    });

    const tree = published.filter((p) => p.topic === topics.orgTree());
    expect(tree).toHaveLength(1);
    expect(tree[0]!.opts.retain).toBe(true);
    expect(JSON.stringify(tree[0]!.message)).toContain('"eng"');
    const joined = published.filter((p) => p.topic === topics.systemNotify());
    expect(joined.map((p) => (p.message as { data: { id: string } }).data.id).sort()).toEqual(['ceo', 'dev', 'lead']);
    expect(joined.every((p) => (p.message as { kind: string }).kind === 'employee_joined')).toBe(true);
    expect(published.filter((p) => p.topic === topics.inbox('dev'))).toHaveLength(1);
    expect(refreshed).toEqual([['lead', 'dev']]);
  });

  it('re-importing the same file skips everything instead of failing', async () => {
    await m.Department.insertMany([{ id: 'hq', name: 'Head office', parent_id: null }, { id: 'eng', name: 'Engineering', parent_id: 'hq' }]);
    await m.Employee.insertMany([
      { id: 'ceo', name: 'Ada', title: 'CEO', department_id: 'hq', manager_id: null, role: 'admin' },
      { id: 'lead', name: 'Cy', title: 'Lead', department_id: 'eng', manager_id: 'ceo' },
      { id: 'dev', name: 'Bo', department_id: 'eng', manager_id: 'lead', skills_badge: ['ts', 'go'] },
    ]);
    await m.Group.create({ id: 'eng-all', name: 'Engineering', owner_id: 'lead', members: ['dev', 'lead'] });
    const before = await counts();
    const { report } = await run('json', ORG, false);
    expect(report).toMatchObject({ ok: true, imported: true, errors: [], create: { departments: [], employees: [], groups: [] } });
    expect(report.skip.map((s) => `${s.kind}:${s.id}`).sort()).toEqual(
      ['department:eng', 'department:hq', 'employee:ceo', 'employee:dev', 'employee:lead', 'group:eng-all'],
    );
    expect(report.passwords).toEqual({});
    expect(await counts()).toEqual(before);
    expect(published).toEqual([]);
  });

  it('is all-or-nothing: one bad item and nothing is written, even without dry run', async () => {
    const bad = { ...ORG, employees: [...ORG.employees, { id: 'x', name: 'X', manager_id: 'nobody' }] };
    const { report, after } = await run('json', bad, false);
    expect(report).toMatchObject({ ok: false, dry_run: false, imported: false });
    expect(report.errors).toEqual([{ kind: 'employee', row: 4, id: 'x', field: 'manager_id', message: expect.stringContaining('"nobody"') }]);
    expect(report.passwords).toBeUndefined();
    expect(after).toMatchObject({ ok: false, imported: false, errors: 1 });
    expect(await counts()).toEqual({ departments: 0, employees: 0, credentials: 0, groups: 0 });
    expect(published).toEqual([]);
  });
});

describe('importOrganisation (CSV)', () => {
  it('imports people, creating departments named in the file, with a BOM and ;-separated skills', async () => {
    await m.Department.create({ id: 'ops', name: 'Operations', parent_id: null });
    const csv = '\uFEFFid,name,title,department_id,department_name,manager_id,skills,role\r\n' +
      'ana,Ana Li,Head of Sales,sales,Sales,,negotiation; crm,admin\r\n' +
      '\r\n' +
      'ben,"Ben, Jr.",,ops,Ignored because it exists,ana,,\r\n';
    const { report } = await run('csv', csv, false);
    expect(report).toMatchObject({ ok: true, imported: true, errors: [], create: { departments: ['sales'], employees: ['ana', 'ben'], groups: [] } });
    expect(await m.Department.findOne({ id: 'sales' }, { _id: 0 }).lean()).toEqual({ id: 'sales', name: 'Sales', parent_id: null, head_id: null });
    expect(await m.Department.findOne({ id: 'ops' }).lean()).toMatchObject({ name: 'Operations' });
    expect(await m.Employee.findOne({ id: 'ana' }).lean()).toMatchObject({
      name: 'Ana Li', title: 'Head of Sales', department_id: 'sales', manager_id: null, skills_badge: ['negotiation', 'crm'], role: 'admin',
    });
    expect(await m.Employee.findOne({ id: 'ben' }).lean()).toMatchObject({ name: 'Ben, Jr.', department_id: 'ops', manager_id: 'ana', skills_badge: [], role: 'member' });
    expect(Object.keys(report.passwords ?? {}).sort()).toEqual(['ana', 'ben']);
    expect(published.filter((p) => p.topic === topics.systemNotify())).toHaveLength(2);
    expect(published.some((p) => p.topic === topics.orgTree() && p.opts.retain)).toBe(true);
  });

  it('reports rows by line number and fields by column name', async () => {
    const csv = 'id,name,skills,role\nok,Fine,,\n\nbad,Bad,,boss\nlong,Long,' + 'x'.repeat(65) + ',\n';
    const { report } = await run('csv', csv);
    expect(report.errors).toEqual([
      { kind: 'employee', row: 4, id: 'bad', field: 'role', message: expect.any(String) },
      { kind: 'employee', row: 5, id: 'long', field: 'skills.0', message: expect.any(String) },
    ]);
  });

  it.each([
    ['unknown columns', 'id,name,email,phone\na,A,a@x,1\n', /"email", "phone"/],
    ['missing required columns', 'id,title\na,Boss\n', /id and name/],
  ])('refuses a header with %s', async (_, csv, message) => {
    const { report } = await run('csv', csv);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([{ kind: 'file', row: 1, message: expect.stringMatching(message) }]);
  });

  it('refuses two names for one new department and department_name without department_id', async () => {
    const csv = 'id,name,department_id,department_name\na,A,d,Design\nb,B,d,Dev\nc,C,,Lost\n';
    const { report } = await run('csv', csv);
    expect(report.errors).toEqual([
      { kind: 'employee', row: 3, id: 'b', field: 'department_name', message: expect.stringContaining('line 2') },
      { kind: 'employee', row: 4, id: 'c', field: 'department_name', message: expect.any(String) },
    ]);
  });
});

describe('importOrganisation checks', () => {
  const group = (id: string, owner_id: string, members: string[]) => ({ id, name: id, owner_id, members });
  const cases: [string, () => Promise<unknown>, unknown, Partial<ImportError>][] = [
    ['duplicate ids in the file', async () => undefined, { employees: [{ id: 'a', name: 'A' }, { id: 'a', name: 'B' }] },
      { kind: 'employee', row: 2, id: 'a', field: 'id' }],
    ['an id used in the database by something different', () => seedEmployee('a'), { employees: [{ id: 'a', name: 'Someone else' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'id', message: expect.stringContaining('exists') }],
    ['a disabled employee of the same id', () => seedEmployee('a', { name: 'A', status: 'disabled' }), { employees: [{ id: 'a', name: 'A' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'id' }],
    ['a department id taken', () => m.Department.create({ id: 'd', name: 'Old', parent_id: null }), { departments: [{ id: 'd', name: 'New' }] },
      { kind: 'department', row: 1, id: 'd', field: 'id' }],
    ['an unknown parent department', async () => undefined, { departments: [{ id: 'd', name: 'D', parent_id: 'nope' }] },
      { kind: 'department', row: 1, id: 'd', field: 'parent_id' }],
    ['a department loop in the file', async () => undefined, { departments: [{ id: 'x', name: 'X', parent_id: 'y' }, { id: 'y', name: 'Y', parent_id: 'x' }] },
      { kind: 'department', row: 1, id: 'x', field: 'parent_id', message: expect.stringContaining('loop') }],
    ['a department that is its own parent', async () => undefined, { departments: [{ id: 'x', name: 'X', parent_id: 'x' }] },
      { kind: 'department', row: 1, id: 'x', field: 'parent_id' }],
    ['an unknown department of an employee', async () => undefined, { employees: [{ id: 'a', name: 'A', department_id: 'nope' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'department_id' }],
    ['an unknown manager', async () => undefined, { employees: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B', manager_id: 'zed' }] },
      { kind: 'employee', row: 2, id: 'b', field: 'manager_id' }],
    ['a disabled manager', () => seedEmployee('boss', { status: 'disabled' }), { employees: [{ id: 'a', name: 'A', manager_id: 'boss' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'manager_id' }],
    ['a manager loop in the file', async () => undefined, { employees: [{ id: 'p', name: 'P', manager_id: 'q' }, { id: 'q', name: 'Q', manager_id: 'p' }] },
      { kind: 'employee', row: 1, id: 'p', field: 'manager_id', message: expect.stringContaining('loop') }],
    // `x` already reports to the not-yet-existing `y`: importing `y` under `x` closes the loop.
    ['a manager loop through the database', () => seedEmployee('x', { manager_id: 'y' }), { employees: [{ id: 'y', name: 'Y', manager_id: 'x' }] },
      { kind: 'employee', row: 1, id: 'y', field: 'manager_id', message: expect.stringContaining('loop') }],
    ['managing oneself', async () => undefined, { employees: [{ id: 'a', name: 'A', manager_id: 'a' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'manager_id' }],
    ['an unknown role', async () => undefined, { employees: [{ id: 'a', name: 'A', role: 'owner' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'role' }],
    ['an unknown field', async () => undefined, { employees: [{ id: 'a', name: 'A', password: 'hunter22' }] },
      { kind: 'employee', row: 1, id: 'a', field: 'password' }],
    ['an unknown group member', () => seedEmployee('a'), { groups: [group('g', 'a', ['a', 'ghost'])] },
      { kind: 'group', row: 1, id: 'g', field: 'members', message: expect.stringContaining('"ghost"') }],
    ['an unknown group owner', () => seedEmployee('a'), { groups: [group('g', 'ghost', ['a'])] },
      { kind: 'group', row: 1, id: 'g', field: 'owner_id' }],
    ['a group over 5,000 members', async () => undefined, { groups: [group('g', 'o', Array.from({ length: 5_000 }, (_, i) => `m${i}`))] },
      { kind: 'group', row: 1, id: 'g', field: 'members', message: expect.stringContaining('5001') }],
    ['an unknown section', async () => undefined, { robots: [{ id: 'bot' }] },
      { kind: 'file', row: 0, field: 'robots' }],
    ['an agent without a profile', async () => undefined, { agents: [{ employee_id: 'bot', name: 'Bot' }] },
      { kind: 'agent', row: 1, id: 'bot', field: 'agent_profile' }],
    ['an agent joining an unknown group', async () => undefined, { agents: [{ ...EXPENSE, department_id: null, manager_id: null, agent_profile: { ...EXPENSE.agent_profile, auto_join_groups: ['nowhere'] } }] },
      { kind: 'agent', row: 1, id: 'a_expense', field: 'agent_profile.auto_join_groups' }],
    ['an agent whose id a person in the file has', async () => undefined, { employees: [{ id: 'a_expense', name: 'P' }], agents: [EXPENSE] },
      { kind: 'agent', row: 1, id: 'a_expense', field: 'id' }],
  ];

  it.each(cases)('reports %s', async (_, seed, file, expected) => {
    await seed();
    const before = await counts();
    const { report } = await run('json', file, false);
    expect(report.ok).toBe(false);
    expect(report.imported).toBe(false);
    expect(report.errors[0]).toEqual({ message: expect.any(String), ...expected });
    expect(await counts()).toEqual(before);
  });

  it('throws E_SCHEMA for a file that does not parse', async () => {
    await expect(run('json', '{"employees": [')).rejects.toMatchObject({ code: 'E_SCHEMA', message: 'data is not valid JSON', field: 'payload.data' });
    const broken = run('csv', 'id,name\na,A\nb,"B\n');
    await expect(broken).rejects.toBeInstanceOf(OpError);
    await expect(broken).rejects.toMatchObject({ code: 'E_SCHEMA', message: expect.stringContaining('line 3') });
  });
});
