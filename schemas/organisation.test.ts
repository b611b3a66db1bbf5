import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isTopicId } from './ids.js';
import { AgentProfile, capabilityCards, capabilityId, Department, Employee, EmployeeStatus, Group, publicProfile, Role } from './organisation.js';

const paths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

const profile = { model_type: 'llm', webhook_endpoint: 'https://agents.example/sales' };
const human = { id: 'u_li', name: 'Li Lei', department_id: 'd_sales', manager_id: 'u_wang' };
const agent = { ...human, id: 'a_sales', name: 'Sales bot', is_ai_agent: true, agent_profile: profile };

describe('AgentProfile', () => {
  it('applies defaults', () => {
    expect(AgentProfile.parse(profile)).toEqual({
      ...profile, capabilities: [], trigger_keywords: [], response_timeout: 30_000, auto_join_groups: [],
    });
  });
  it('reads response_timeout as the design writes it, in seconds, and older milliseconds as they were; keeps milliseconds', () => {
    expect(AgentProfile.parse({ ...profile, response_timeout: 15 }).response_timeout).toBe(15_000);
    expect(AgentProfile.parse({ ...profile, response_timeout: 600 }).response_timeout).toBe(600_000);
    expect(AgentProfile.parse({ ...profile, response_timeout: 5_000 }).response_timeout).toBe(5_000);
    // Parsing what was kept gives the same.
    expect(AgentProfile.parse(AgentProfile.parse({ ...profile, response_timeout: 1 })).response_timeout).toBe(1_000);
  });
  it('makes a card of a capability given by name, with an id usable in topics, the same for the same name', () => {
    const { capabilities } = AgentProfile.parse({
      ...profile, capabilities: ['订单查询', 'Order status', 'invoice_lookup', { id: 'refunds', name: '退款', examples: ['退款 SO-1002'] }],
    });
    expect(capabilities.map((c) => c.name)).toEqual(['订单查询', 'Order status', 'invoice_lookup', '退款']);
    expect(capabilities.slice(1).map((c) => c.id)).toEqual(['order_status', 'invoice_lookup', 'refunds']);
    expect(capabilities[0]!.id).toMatch(/^cap_[0-9a-f]{8}$/);
    expect(capabilityId('订单查询')).toBe(capabilities[0]!.id);
    expect(capabilityId('订单查询')).not.toBe(capabilityId('产品推荐'));
    expect(capabilities[3]).toEqual({ id: 'refunds', name: '退款', description: '', examples: ['退款 SO-1002'], trigger_keywords: [] });
    for (const c of capabilities) expect(isTopicId(c.id)).toBe(true);
  });
  it('accepts http endpoints too', () => {
    expect(AgentProfile.safeParse({ ...profile, webhook_endpoint: 'http://127.0.0.1:8090/agents/sales' }).success).toBe(true);
  });
  it.each([
    [{ model_type: '' }, 'model_type'],
    [{ model_type: 'm'.repeat(65) }, 'model_type'],
    [{ webhook_endpoint: 'ftp://x/y' }, 'webhook_endpoint'],
    [{ webhook_endpoint: 'javascript:alert(1)' }, 'webhook_endpoint'],
    [{ webhook_endpoint: 'not a url' }, 'webhook_endpoint'],
    [{ webhook_endpoint: undefined }, 'webhook_endpoint'],
    [{ capabilities: [{ id: 'a/b', name: 'A b' }] }, 'capabilities.0.id'],
    [{ capabilities: ['订单查询', '订单查询'] }, 'capabilities'],
    [{ trigger_keywords: [''] }, 'trigger_keywords.0'],
    [{ trigger_keywords: ['k'.repeat(65)] }, 'trigger_keywords.0'],
    [{ response_timeout: 0 }, 'response_timeout'],
    [{ response_timeout: 0.5 }, 'response_timeout'],
    [{ response_timeout: 601 }, 'response_timeout'],
    [{ response_timeout: 600_001 }, 'response_timeout'],
    [{ response_timeout: 1000.5 }, 'response_timeout'],
    [{ auto_join_groups: ['#'] }, 'auto_join_groups.0'],
  ])('rejects %j at %s', (patch, path) => expect(paths(AgentProfile, { ...profile, ...patch })).toContain(path));
});

describe('Employee', () => {
  it('accepts a human and applies defaults', () => {
    expect(Employee.parse(human)).toEqual({
      ...human, title: '', skills_badge: [], role: 'member', status: 'active', is_ai_agent: false,
    });
  });
  it('accepts an agent with a profile and a top-level employee', () => {
    expect(Employee.safeParse(agent).success).toBe(true);
    expect(Employee.safeParse({ ...human, department_id: null, manager_id: null, role: 'admin' }).success).toBe(true);
  });
  it('an agent needs an agent_profile', () => {
    expect(paths(Employee, { ...human, is_ai_agent: true })).toEqual(['agent_profile']);
  });
  it('a human must not have an agent_profile', () => {
    expect(paths(Employee, { ...human, agent_profile: profile })).toEqual(['agent_profile']);
  });
  it('cannot manage oneself', () => {
    expect(paths(Employee, { ...human, manager_id: 'u_li' })).toEqual(['manager_id']);
  });
  it.each([
    [{ id: 'u/li' }, 'id'],
    [{ id: '..' }, 'id'],
    [{ id: 'a'.repeat(65) }, 'id'],
    [{ name: '' }, 'name'],
    [{ name: 'n'.repeat(129) }, 'name'],
    [{ title: 't'.repeat(129) }, 'title'],
    [{ department_id: undefined }, 'department_id'],
    [{ manager_id: undefined }, 'manager_id'],
    [{ manager_id: '+' }, 'manager_id'],
    [{ role: 'owner' }, 'role'],
    [{ status: 'deleted' }, 'status'],
    [{ is_ai_agent: 'no' }, 'is_ai_agent'],
    [{ skills_badge: [''] }, 'skills_badge.0'],
    [{ created_at: -1 }, 'created_at'],
  ])('rejects %j at %s', (patch, path) => expect(paths(Employee, { ...human, ...patch })).toContain(path));
  it('knows the roles and statuses', () => {
    expect(Role.options).toEqual(['member', 'admin']);
    expect(EmployeeStatus.options).toEqual(['active', 'disabled']);
  });
});

describe('capabilityCards', () => {
  it('reads ids stored before cards as cards of that name, and cards as they are', () => {
    const card = { id: 'refunds', name: '退款', description: 'd', examples: [], trigger_keywords: ['退款'] };
    expect(capabilityCards(['order_lookup', card])).toEqual([{ id: 'order_lookup', name: 'order_lookup', description: '', examples: [], trigger_keywords: [] }, card]);
  });
});

describe('publicProfile', () => {
  it('strips webhook_endpoint, auto_join_groups and response_timeout from an agent', () => {
    const full = Employee.parse({ ...agent, agent_profile: { ...profile, capabilities: ['orders'], trigger_keywords: ['查订单'], auto_join_groups: ['g1'] } });
    const pub = publicProfile(full);
    expect(pub.agent_profile).toEqual({
      model_type: 'llm', capabilities: [{ id: 'orders', name: 'orders', description: '', examples: [], trigger_keywords: [] }], trigger_keywords: ['查订单'],
    });
    const json = JSON.stringify(pub);
    for (const secret of ['webhook_endpoint', 'auto_join_groups', 'response_timeout', 'agents.example']) expect(json).not.toContain(secret);
    const { agent_profile: _, ...rest } = pub;
    const { agent_profile: __, ...fullRest } = full;
    expect(rest).toEqual(fullRest);
  });
  it('leaves a human unchanged and does not mutate its input', () => {
    const h = Employee.parse(human);
    const copy = structuredClone(h);
    expect(publicProfile(h)).toEqual(h);
    expect('agent_profile' in publicProfile(h)).toBe(false);
    const a = Employee.parse(agent);
    const aCopy = structuredClone(a);
    publicProfile(a);
    expect(a).toEqual(aCopy);
    expect(h).toEqual(copy);
  });
});

describe('Department', () => {
  it('accepts a root and a child, head defaults to null', () => {
    expect(Department.parse({ id: 'd1', name: 'HQ', parent_id: null })).toEqual({ id: 'd1', name: 'HQ', parent_id: null, head_id: null });
    expect(Department.safeParse({ id: 'd2', name: 'Sales', parent_id: 'd1', head_id: 'u_li' }).success).toBe(true);
  });
  it.each([
    [{ parent_id: 'd1' }, 'parent_id'],
    [{ id: '#' }, 'id'],
    [{ name: '' }, 'name'],
    [{ parent_id: undefined }, 'parent_id'],
    [{ head_id: 'a b' }, 'head_id'],
  ])('rejects %j at %s', (patch, path) => expect(paths(Department, { id: 'd1', name: 'HQ', parent_id: null, ...patch })).toContain(path));
});

describe('Group', () => {
  const group = { id: 'g1', name: 'Sales', owner_id: 'u_li', members: ['u_li'] };
  it('accepts a group, dissolved defaults to false', () => {
    expect(Group.parse(group).dissolved).toBe(false);
  });
  it.each([
    [{ members: [] }, 'members'],
    [{ members: ['u_li', 'a+b'] }, 'members.1'],
    [{ owner_id: '' }, 'owner_id'],
    [{ id: 'g/1' }, 'id'],
    [{ name: 'n'.repeat(129) }, 'name'],
    [{ dissolved: 1 }, 'dissolved'],
  ])('rejects %j at %s', (patch, path) => expect(paths(Group, { ...group, ...patch })).toContain(path));
});
