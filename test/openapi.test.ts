import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLinks } from '../gateway/files.js';
import { buildOpenApi, OPENAPI_FILE, renderOpenApi } from '../scripts/openapi.js';
import { startStack, type Stack } from './stack.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

type Method = 'get' | 'post';
interface Operation {
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
}
interface Doc {
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
}

const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc;

/** The document itself is the schema Ajv resolves every `$ref` against. */
const DOC_ID = 'https://mchat.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: DOC_ID });

const pointer = (...parts: string[]) => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
const compiled = new Map<string, ValidateFunction>();
function validatorAt(ptr: string): ValidateFunction {
  let v = compiled.get(ptr);
  if (!v) compiled.set(ptr, (v = ajv.compile({ $ref: `${DOC_ID}#${ptr}` })));
  return v;
}

const exercised = new Set<string>();

/** The body answered to `method path` with `status` is what the document says it is. */
function expectMatchesSpec(method: Method, path: string, status: number, body: unknown, contentType = 'application/json') {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  exercised.add(`${method} ${path}`);
  let response = op.responses[String(status)];
  if (!response) throw new Error(`${method.toUpperCase()} ${path} answered ${status}, which the document does not list: ${JSON.stringify(body)}`);
  let ptr = pointer('paths', path, method, 'responses', String(status));
  if (response.$ref) {
    const name = response.$ref.replace('#/components/responses/', '');
    response = doc.components.responses[name]!;
    ptr = pointer('components', 'responses', name);
  }
  const mediaType = contentType.split(';')[0]!.trim();
  // A file download is documented as `*/*`: it answers with whatever type the file has.
  const documented = response.content?.[mediaType] ? mediaType : response.content?.['*/*'] ? '*/*' : undefined;
  if (!documented) {
    throw new Error(`${method.toUpperCase()} ${path} ${status}: the document has no ${mediaType} body (has ${Object.keys(response.content ?? {}).join(', ')})`);
  }
  const validate = validatorAt(`${ptr}${pointer('content', documented, 'schema')}`);
  if (!validate(body)) {
    throw new Error(`${method.toUpperCase()} ${path} ${status} does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body, null, 2)}`);
  }
}

/** A request body the document must accept (sent on the way to a success). */
function expectRequestMatchesSpec(method: Method, path: string, body: unknown) {
  const validate = validatorAt(pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema'));
  if (!validate(body)) throw new Error(`the document refuses a body the gateway accepts for ${path}: ${ajv.errorsText(validate.errors)}`);
}

describe('docs/openapi.json', () => {
  it('is what scripts/openapi.ts generates (run `npx tsx scripts/openapi.ts` after changing a route or a schema)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi(buildOpenApi()));
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const res = await validator.validate(buildOpenApi());
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the checker refuses what the document does not allow', () => {
    const before = new Set(exercised);
    const profile = { id: 'u_x', name: 'X', title: '', department_id: null, manager_id: null, skills_badge: [], role: 'member', status: 'active', is_ai_agent: false };
    expectMatchesSpec('get', '/api/me', 200, { employee: profile });
    expect(() => expectMatchesSpec('get', '/api/me', 200, { employee: { ...profile, password_hash: 'x' } })).toThrow(/additional/);
    expect(() => expectMatchesSpec('get', '/api/me', 200, { employee: { ...profile, role: 'root' } })).toThrow(/role/);
    expect(() => expectMatchesSpec('get', '/api/me', 403, { error: { code: 'E_FORBIDDEN', message: 'no' } })).toThrow(/does not list/);
    expectMatchesSpec('get', '/api/me', 401, { error: { code: 'E_AUTH', message: 'no' } });
    // The status and the code go together.
    expect(() => expectMatchesSpec('get', '/api/me', 401, { error: { code: 'E_SCHEMA', message: 'no' } })).toThrow(/code/);
    expect(() => expectMatchesSpec('get', '/api/me', 200, '<html>', 'text/html')).toThrow(/no text\/html body/);
    exercised.clear();
    before.forEach((k) => exercised.add(k));
  });
});

describe('a real gateway answers as docs/openapi.json says', () => {
  let stack: Stack;
  let admin: string;
  let member: string;
  const serviceSecret = randomBytes(32).toString('base64url');
  const suffix = Date.now().toString(36);
  const person = `u_oapi_${suffix}`;
  const agent = `a_oapi_${suffix}`;
  const dep = `dep_oapi_${suffix}`;
  const group = `g_oapi_${suffix}`;

  interface Call {
    token?: string;
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    /** Sent as it is (not JSON-encoded). */
    raw?: string | Uint8Array;
    /** Of `raw`; JSON unless given. */
    contentType?: string;
  }

  /** Calls `method path` (a path of the document), expects `status`, checks the body against the document. */
  async function call(method: Method, path: string, status: number, c: Call = {}): Promise<unknown> {
    let url = path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(c.params?.[k] ?? ''));
    if (c.query) url += `?${new URLSearchParams(c.query).toString()}`;
    const headers: Record<string, string> = {};
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    const payload = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    if (payload !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
    const res = await fetch(`${stack.httpUrl}${url}`, { method: method.toUpperCase(), headers, body: payload });
    const contentType = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const body: unknown = contentType.startsWith('application/json') ? JSON.parse(text) : text;
    if (res.status !== status) throw new Error(`${method.toUpperCase()} ${url}: expected ${status}, got ${res.status} ${text.slice(0, 500)}`);
    if (status === 200 && c.body !== undefined) expectRequestMatchesSpec(method, path, c.body);
    expectMatchesSpec(method, path, status, body, contentType);
    return body;
  }
  const adminOp = (op: string, status: number, body: unknown, token = admin) => call('post', `/api/admin/${op}`, status, { token, body });
  const codeOf = (body: unknown) => (body as { error: { code: string } }).error.code;

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_SERVICE_SECRET: serviceSecret } });
    [admin, member] = await Promise.all([stack.login('u_wang'), stack.login('u_li')]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('/healthz', async () => {
    expect(await call('get', '/healthz', 200)).toMatchObject({ status: 'ok' });
  });

  it('login and me', async () => {
    const login = await call('post', '/api/login', 200, { body: { employee_id: 'u_li', password: 'test-password' } });
    expect(login).toMatchObject({ employee: { id: 'u_li' } });
    await call('post', '/api/login', 401, { body: { employee_id: 'u_li', password: 'wrong-password' } });
    await call('post', '/api/login', 400, { body: { employee_id: '../u_li', password: 'x' } });
    await call('post', '/api/login', 400, { raw: '{"employee_id":' });
    await call('post', '/api/login', 413, { body: { employee_id: 'u_li', password: 'x'.repeat(70_000) } });

    expect(await call('get', '/api/me', 200, { token: member })).toMatchObject({ employee: { id: 'u_li', role: 'member' } });
    await call('get', '/api/me', 401);
    await call('get', '/api/me', 401, { token: 'not-a-token' });
  });

  it('the profile of a seeded person with no manager', async () => {
    expect(await call('get', '/api/me', 200, { token: admin })).toMatchObject({ employee: { id: 'u_wang', role: 'admin', manager_id: null } });
  });

  it('the internal EMQX hooks', async () => {
    const svc = serviceSecret;
    expect(await call('post', '/internal/emqx/authn', 200, { token: svc, body: { username: 'u_li', password: member, clientid: 'u_li:web' } }))
      .toEqual({ result: 'allow', is_superuser: false });
    expect(await call('post', '/internal/emqx/authn', 200, { token: svc, body: { username: 'u_li', password: 'nope', clientid: 'u_li:web' } }))
      .toMatchObject({ result: 'deny' });
    await call('post', '/internal/emqx/authn', 401, { body: { username: 'u_li', password: member, clientid: 'u_li:web' } });
    await call('post', '/internal/emqx/authn', 400, { token: svc, body: { username: 'u_li' } });

    const authz = { username: 'u_li', clientid: 'u_li:web', topic: 'mchat/inbox/u_li', action: 'subscribe' };
    expect(await call('post', '/internal/emqx/authz', 200, { token: svc, body: authz })).toEqual({ result: 'allow' });
    expect(await call('post', '/internal/emqx/authz', 200, { token: svc, body: { ...authz, topic: 'mchat/inbox/u_wang' } })).toEqual({ result: 'deny' });
    await call('post', '/internal/emqx/authz', 401, { token: member, body: authz });
    await call('post', '/internal/emqx/authz', 400, { token: svc, body: { ...authz, action: 'delete' } });
  });

  it('the directory: search and profiles', async () => {
    const found = (await call('get', '/api/employees', 200, { token: member, query: { q: 'li' } })) as { employees: { id: string }[] };
    expect(found.employees.map((e) => e.id)).toContain('u_li');
    const sales = (await call('get', '/api/employees', 200, { token: member, query: { department: 'dep_sales', skill: 'orders' } })) as { employees: { id: string }[] };
    expect(sales.employees.map((e) => e.id)).toEqual(['a_sales']);
    await call('get', '/api/employees', 400, { token: member, query: { department: 'not an id' } });
    await call('get', '/api/employees', 401);

    const li = await call('get', '/api/employees/{id}', 200, { token: member, params: { id: 'u_li' } });
    expect(li).toMatchObject({ employee: { id: 'u_li' }, reporting_line: [{ id: 'u_wang' }] });
    const bot = await call('get', '/api/employees/{id}', 200, { token: member, params: { id: 'a_sales' } });
    expect(bot).toMatchObject({ employee: { is_ai_agent: true, agent_profile: { model_type: 'rule-based-demo' } } });
    expect(JSON.stringify(bot)).not.toContain('webhook');
    await call('get', '/api/employees/{id}', 404, { token: member, params: { id: 'u_nobody' } });
    await call('get', '/api/employees/{id}', 400, { token: member, params: { id: 'not an id' } });
    await call('get', '/api/employees/{id}', 401, { params: { id: 'u_li' } });
  });

  it('the directory: the org tree', async () => {

    const tree = (await call('get', '/api/org/tree', 200, { token: member })) as { departments: { id: string }[] };
    expect(tree.departments.map((d) => d.id)).toEqual(expect.arrayContaining(['dep_sales', 'dep_finance']));
    await call('get', '/api/org/tree', 401);
  });

  it('presence', async () => {

    const presence = await call('get', '/api/presence', 200, { token: member, query: { ids: 'u_li,u_wang' } });
    expect(presence).toMatchObject({ presence: { u_li: { state: expect.any(String) }, u_wang: { state: expect.any(String) } } });
    await call('get', '/api/presence', 400, { token: member });
    await call('get', '/api/presence', 401, { query: { ids: 'u_li' } });
  });

  it('departments', async () => {
    const created = await adminOp('department.create', 200, { id: dep, name: 'OpenAPI', parent_id: 'dep_sales' });
    expect(created).toEqual({ department: { id: dep, name: 'OpenAPI', parent_id: 'dep_sales', head_id: null } });
    expect(codeOf(await adminOp('department.create', 409, { id: dep, name: 'Again' }))).toBe('E_CONFLICT');
    await adminOp('department.create', 404, { id: `${dep}_x`, name: 'Orphan', parent_id: 'dep_nowhere' });
    await adminOp('department.create', 400, { id: `${dep}_x` });
    await adminOp('department.create', 403, { id: `${dep}_x`, name: 'Not mine' }, member);
    await call('post', '/api/admin/department.create', 401, { body: { id: `${dep}_x`, name: 'Anonymous' } });
    await call('post', '/api/admin/department.create', 413, { token: admin, body: { id: `${dep}_x`, name: 'x'.repeat(70_000) } });

    expect(await adminOp('department.move', 200, { id: dep, parent_id: 'dep_finance' })).toMatchObject({ department: { parent_id: 'dep_finance' } });
    await adminOp('department.move', 409, { id: 'dep_finance', parent_id: dep });
    await adminOp('department.move', 404, { id: 'dep_nowhere', parent_id: null });

    expect(await adminOp('department.rename', 200, { id: dep, name: 'OpenAPI, renamed' })).toMatchObject({ department: { name: 'OpenAPI, renamed' } });
    await adminOp('department.rename', 404, { id: 'dep_nowhere', name: 'X' });
    expect(await adminOp('department.set_head', 200, { id: dep, head_id: 'u_li' })).toMatchObject({ department: { head_id: 'u_li' } });
    await adminOp('department.set_head', 409, { id: dep, head_id: 'a_sales' });
    await adminOp('department.set_head', 404, { id: dep, head_id: 'u_nobody' });
  });

  it('the organisation: export as a file', async () => {
    const json = (await call('get', '/api/admin/org/export', 200, { token: admin, query: { format: 'json' } })) as { departments: { id: string }[] };
    expect(((await call('get', '/api/admin/org/export', 200, { token: admin, query: { format: 'csv' } })) as string).split('\r\n')[0]).toMatch(/^id,name,/);
    expect(json.departments.map((d) => d.id)).toContain('dep_sales');
    await call('get', '/api/admin/org/export', 400, { token: admin, query: { format: 'xml' } });
    await call('get', '/api/admin/org/export', 403, { token: member });
    expect(((await adminOp('cockpit', 200, { days: 3 })) as { days: unknown[] }).days).toHaveLength(3);
    await adminOp('cockpit', 400, { days: 0 });
  });

  it('employees', async () => {
    const body = { id: person, name: 'Open Api', title: 'Spec writer', department_id: dep, password: 'long-enough-password' };
    const created = await adminOp('employee.create', 200, body);
    expect(created).toMatchObject({ employee: { id: person, role: 'member', status: 'active', department_id: dep } });
    expect(JSON.stringify(created)).not.toContain('long-enough-password');
    await adminOp('employee.create', 409, { id: 'u_li', name: 'Another Li', password: 'long-enough-password' });
    await adminOp('employee.create', 404, { ...body, id: `${person}_x`, department_id: 'dep_nowhere' });
    await adminOp('employee.create', 400, { ...body, id: `${person}_x`, password: 'short' });
    await adminOp('employee.create', 403, { ...body, id: `${person}_x` }, member);

    expect(await adminOp('employee.move', 200, { id: person, department_id: 'dep_finance' })).toMatchObject({ employee: { department_id: 'dep_finance' } });
    await adminOp('employee.move', 404, { id: 'u_nobody', department_id: null });

    expect(await adminOp('employee.set_manager', 200, { id: person, manager_id: 'u_li' })).toMatchObject({ employee: { manager_id: 'u_li' } });
    await adminOp('employee.set_manager', 409, { id: person, manager_id: person });
    await adminOp('employee.set_manager', 404, { id: person, manager_id: 'u_nobody' });

    expect(await adminOp('employee.disable', 200, { id: person, reason: 'test' })).toMatchObject({ employee: { status: 'disabled' } });
    await adminOp('employee.disable', 409, { id: person });
    await adminOp('employee.disable', 404, { id: 'u_nobody' });

    const listed = (await adminOp('employee.list', 200, { status: 'disabled', q: 'Open Api' })) as { employees: { id: string; disabled?: unknown }[]; next: null };
    expect(listed).toMatchObject({ employees: [{ id: person, disabled: { by: 'u_wang', reason: 'test' } }], next: null });
    const firstPage = (await adminOp('employee.list', 200, { limit: 1 })) as { next: string };
    expect(firstPage.next).toEqual(expect.any(String));
    await adminOp('employee.list', 200, { limit: 1, after: firstPage.next });
    await adminOp('employee.list', 400, { after: 'nonsense' });
    await adminOp('employee.list', 403, {}, member);

    expect(await adminOp('employee.enable', 200, { id: person })).toMatchObject({ employee: { status: 'active' } });
    await adminOp('employee.enable', 409, { id: person });
    await adminOp('employee.enable', 404, { id: 'u_nobody' });

    expect(await adminOp('employee.update', 200, { id: person, title: 'Spec reader' })).toMatchObject({ employee: { title: 'Spec reader' } });
    await adminOp('employee.update', 400, { id: person });
    await adminOp('employee.update', 404, { id: 'u_nobody', title: 'x' });

    expect(await adminOp('employee.reset_password', 200, { id: person, password: 'another-long-password' })).toMatchObject({ employee: { id: person } });
    await adminOp('employee.reset_password', 400, { id: person, password: 'short' });
    await adminOp('employee.reset_password', 404, { id: 'u_nobody', password: 'another-long-password' });
    await adminOp('employee.reset_password', 409, { id: 'a_sales', password: 'another-long-password' });
  });

  it('agents', async () => {
    const profile = { model_type: 'echo', capabilities: ['spec_check'], webhook_endpoint: 'http://127.0.0.1:9/x' };
    const created = await adminOp('agent.create', 200, { id: agent, name: 'Spec Bot', department_id: dep, agent_profile: profile });
    expect(created).toMatchObject({ employee: { id: agent, is_ai_agent: true }, api_secret: expect.any(String) });
    expect(JSON.stringify((created as { employee: unknown }).employee)).not.toContain('127.0.0.1:9');
    await adminOp('agent.create', 409, { id: agent, name: 'Spec Bot', agent_profile: profile });
    await adminOp('agent.create', 404, { id: `${agent}_x`, name: 'Spec Bot', agent_profile: { ...profile, auto_join_groups: ['g_nowhere'] } });
    await adminOp('agent.create', 400, { id: `${agent}_x`, name: 'Spec Bot', agent_profile: { ...profile, webhook_endpoint: 'ftp://x' } });

    const updated = await adminOp('agent.update', 200, { id: agent, agent_profile: { trigger_keywords: ['spec'] } });
    expect(updated).toMatchObject({ employee: { agent_profile: { trigger_keywords: ['spec'] } } });
    await adminOp('agent.update', 409, { id: 'u_li', agent_profile: { trigger_keywords: ['x'] } });
    await adminOp('agent.update', 404, { id: 'a_nobody', agent_profile: {} });

    const rotated = (await adminOp('agent.rotate_secret', 200, { id: agent })) as { api_secret: string };
    expect(rotated.api_secret).not.toBe((created as { api_secret: string }).api_secret);
    await adminOp('agent.rotate_secret', 409, { id: 'u_li' });
    await adminOp('agent.rotate_secret', 404, { id: 'a_nobody' });
  });

  it('groups', async () => {
    const created = await adminOp('group.create', 200, { id: group, name: 'Spec readers', owner_id: 'u_wang', members: ['u_li'] });
    expect(created).toMatchObject({ group: { id: group, members: ['u_wang', 'u_li'], dissolved: false } });
    await adminOp('group.create', 409, { id: group, name: 'Again', owner_id: 'u_wang', members: ['u_li'] });
    await adminOp('group.create', 404, { id: `${group}_x`, name: 'Ghosts', owner_id: 'u_wang', members: ['u_nobody'] });
    await adminOp('group.create', 400, { id: `${group}_x`, name: 'Empty', owner_id: 'u_wang', members: [] });

    expect(await adminOp('group.add_members', 200, { id: group, members: ['a_sales'] })).toMatchObject({ group: { members: ['u_wang', 'u_li', 'a_sales'] } });
    await adminOp('group.add_members', 404, { id: 'g_nowhere', members: ['u_li'] });

    expect(await adminOp('group.remove_members', 200, { id: group, members: ['a_sales'] })).toMatchObject({ group: { members: ['u_wang', 'u_li'] } });
    await adminOp('group.remove_members', 409, { id: group, members: ['u_wang', 'u_li'] });
    await adminOp('group.remove_members', 404, { id: 'g_nowhere', members: ['u_li'] });

    expect(await adminOp('group.dissolve', 200, { id: group })).toMatchObject({ group: { dissolved: true } });
    await adminOp('group.dissolve', 404, { id: group });
  });

  it('import (dry run)', async () => {
    const file = {
      departments: [{ id: `${dep}_imp`, name: 'Imported', parent_id: null }],
      employees: [{ id: `${person}_imp`, name: 'Im Ported', title: 'Importer', department_id: `${dep}_imp`, manager_id: 'u_wang' }],
    };
    const report = await adminOp('import', 200, { format: 'json', data: JSON.stringify(file), dry_run: true });
    expect(report).toMatchObject({
      ok: true, dry_run: true, imported: false, errors: [],
      create: { departments: [`${dep}_imp`], employees: [`${person}_imp`], groups: [] },
    });
    expect(await stack.m.Employee.countDocuments({ id: `${person}_imp` })).toBe(0);
    // A file with problems is answered with its report, not an error status.
    const bad = { employees: [{ ...file.employees[0], department_id: 'dep_nowhere' }] };
    expect(await adminOp('import', 200, { format: 'json', data: JSON.stringify(bad) })).toMatchObject({ ok: false, imported: false });
    await adminOp('import', 400, { format: 'json', data: '{ not json' });
    await adminOp('import', 400, { format: 'xml', data: '<org/>' });
    await adminOp('import', 403, { format: 'json', data: JSON.stringify(file) }, member);
  });

  it('the audit log: query and export', async () => {
    const changes = (await call('get', '/api/admin/audit', 200, { token: admin, query: { kind: 'changes', limit: '1000' } })) as { entries: { op: string }[] };
    expect(changes.entries.some((e) => e.op === 'admin.employee.enable')).toBe(true);
    expect(changes.entries.some((e) => e.op === 'admin.employee.list')).toBe(false);
    const page = (await call('get', '/api/admin/audit', 200, { token: admin, query: { actor: 'u_wang', limit: '5' } })) as {
      entries: { actor: string; via: string }[]; has_more: boolean;
    };
    expect(page.entries).toHaveLength(5);
    expect(page.has_more).toBe(true);
    expect(page.entries.every((e) => e.actor === 'u_wang' && e.via === 'http')).toBe(true);
    const failed = (await call('get', '/api/admin/audit', 200, { token: admin, query: { op: 'admin.department.create', target: dep } })) as {
      entries: { ok: boolean; error?: { code: string } }[];
    };
    expect(failed.entries.some((e) => !e.ok && e.error?.code === 'E_CONFLICT')).toBe(true);
    await call('get', '/api/admin/audit', 400, { token: admin, query: { limit: '0' } });
    await call('get', '/api/admin/audit', 403, { token: member });
    await call('get', '/api/admin/audit', 401);

    const csv = (await call('get', '/api/admin/audit/export', 200, { token: admin, query: { format: 'csv', actor: 'u_wang' } })) as string;
    expect(csv.split('\r\n')[0]).toBe('audit_id,ts,actor,op,target,ok,error,before,after,via');
    await call('get', '/api/admin/audit/export', 400, { token: admin, query: { format: 'xml' } });
    await call('get', '/api/admin/audit/export', 403, { token: member });
    await call('get', '/api/admin/audit/export', 401);
  });

  it('the audit log: export as NDJSON', async () => {
    const ndjson = (await call('get', '/api/admin/audit/export', 200, { token: admin, query: { format: 'ndjson', op: 'admin.group.create' } })) as string;
    const lines = ndjson.split('\n').map((l) => JSON.parse(l) as { op: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e) => e.op === 'admin.group.create')).toBe(true);
  });

  it('files: upload, then download by a signed link', async () => {
    const text = `hello from the openapi test ${suffix}`;
    const up = (await call('post', '/api/files', 200, { token: member, query: { name: 'hello.txt' }, raw: text, contentType: 'text/plain' })) as {
      object_id: string; size: number; type: string;
    };
    expect(up).toMatchObject({ name: 'hello.txt', size: Buffer.byteLength(text), type: 'text/plain' });
    // A JSON file is a file too: the app's JSON parser must not take it.
    await call('post', '/api/files', 200, { token: member, query: { name: 'data.json' }, raw: '{"a":1}' });
    await call('post', '/api/files', 401, { query: { name: 'hello.txt' }, raw: text, contentType: 'text/plain' });
    await call('post', '/api/files', 400, { token: member, query: { name: '' }, raw: text, contentType: 'text/plain' });
    await call('post', '/api/files', 413, { token: member, query: { name: 'big.bin' }, raw: new Uint8Array(25 * 1024 * 1024 + 1), contentType: 'application/octet-stream' });

    // Links are signed with a key derived from the service secret, which this test set.
    const links = new FileLinks(serviceSecret, 600);
    const link = new URL(links.url(up.object_id), stack.httpUrl);
    const query = Object.fromEntries(link.searchParams) as Record<string, string>;
    expect(await call('get', '/api/files/{object_id}', 200, { params: { object_id: up.object_id }, query })).toBe(text);
    await call('get', '/api/files/{object_id}', 403, { params: { object_id: up.object_id }, query: { ...query, sig: links.sign('other').sig } });
    await call('get', '/api/files/{object_id}', 403, { params: { object_id: up.object_id }, query: links.sign(up.object_id, Math.floor(Date.now() / 1000) - 1) });
    await call('get', '/api/files/{object_id}', 403, { token: member, params: { object_id: up.object_id } });
    await call('get', '/api/files/{object_id}', 404, { params: { object_id: 'NO_SUCH_FILE' }, query: links.sign('NO_SUCH_FILE') });
  });

  it('agent work: tasks, workflows, named relays, agent callbacks', async () => {
    expect(await call('get', '/api/tasks', 200, { token: member })).toEqual({ tasks: [] });
    await call('get', '/api/tasks', 200, { token: member, query: { state: 'approved' } });
    await call('get', '/api/tasks', 400, { token: member, query: { state: 'maybe' } });
    await call('get', '/api/tasks', 401);
    await call('post', '/api/tasks/{id}/decision', 404, { token: member, params: { id: 'no-such-task' }, body: { decision: 'approve' } });
    await call('post', '/api/tasks/{id}/decision', 400, { token: member, params: { id: 'no-such-task' }, body: { decision: 'perhaps' } });
    await call('post', '/api/tasks/{id}/decision', 401, { params: { id: 'no-such-task' }, body: { decision: 'approve' } });

    const conversation_id = 'd:u_li:u_wang';
    const now = Date.now();
    await stack.m.WorkflowRun.create({
      workflow_id: `interaction:oapi-${suffix}:a_sales`, kind: 'interaction', conversation_id, started_by: 'u_li', status: 'completed',
      step: 'done', hops: [{ hop: 0, agent_id: 'a_sales', status: 'answered', started_at: now, finished_at: now }], started_at: now, updated_at: now,
    });
    const listed = await call('get', '/api/conversations/{id}/workflows', 200, { token: member, params: { id: conversation_id } });
    expect(listed).toMatchObject({ workflows: [{ workflow_id: `interaction:oapi-${suffix}:a_sales` }] });
    await call('get', '/api/conversations/{id}/workflows', 403, { token: member, params: { id: 'd:u_wang:u_zhang' } });
    await call('get', '/api/conversations/{id}/workflows', 400, { token: member, params: { id: 'nonsense' } });
    await call('get', '/api/workflows/{id}', 200, { token: member, params: { id: `interaction:oapi-${suffix}:a_sales` } });
    await call('get', '/api/workflows/{id}', 404, { token: member, params: { id: 'interaction:none:a_sales' } });
    await call('get', '/api/workflows/{id}', 401, { params: { id: 'interaction:none:a_sales' } });

    const callback = { interaction_id: 'interaction:x:a_sales#0', agent_id: 'a_sales', reply: { text: 'hi' } };
    await call('post', '/api/agents/callback', 401, { body: callback });
    await call('post', '/api/agents/callback', 400, { body: { ...callback, reply: {} } });

    const steps = [{ agent_id: 'a_sales' }];
    expect(await adminOp('relay.save', 200, { relay_id: `r_${suffix}`, name: 'Relay', steps })).toMatchObject({ relay: { version: 1, created_by: 'u_wang' } });
    await adminOp('relay.save', 404, { relay_id: `r_${suffix}`, name: 'Relay', steps: [{ agent_id: 'u_li' }] });
    await adminOp('relay.save', 403, { relay_id: `r_${suffix}`, name: 'Relay', steps }, member);
    expect(await adminOp('relay.list', 200, {})).toMatchObject({ relays: [{ relay_id: `r_${suffix}` }] });

    const schedule = { schedule_id: `s_${suffix}`, agent_id: 'a_sales', conversation_id: 'g:g_sales', every: '1d', prompt: 'the brief' };
    expect(await adminOp('schedule.create', 200, schedule)).toMatchObject({ schedule: { created_by: 'u_wang', paused: false } });
    await adminOp('schedule.create', 409, schedule);
    await adminOp('schedule.create', 400, { ...schedule, cron: '0 9 * * *' });
    await adminOp('schedule.create', 404, { ...schedule, schedule_id: `s2_${suffix}`, agent_id: 'u_li' });
    expect(await adminOp('schedule.pause', 200, { schedule_id: schedule.schedule_id, paused: true })).toMatchObject({ schedule: { paused: true } });
    await adminOp('schedule.pause', 404, { schedule_id: `none_${suffix}`, paused: true });
    expect(await adminOp('schedule.list', 200, {})).toMatchObject({ schedules: [{ schedule_id: schedule.schedule_id, paused: true }] });
  });

  it('every path and method of the document was exercised', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.filter((k) => !exercised.has(k))).toEqual([]);
  });
});
