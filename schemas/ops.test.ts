import { describe, expect, expectTypeOf, it } from 'vitest';
import { adminPayloads, adminResults } from './admin.js';
import { isOpName, opPayloads, opResults, type OpResult } from './ops.js';
import type { LiveState } from './workflow.js';

const pathsOf = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => {
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

describe('isOpName', () => {
  it.each(Object.keys(opPayloads))('knows %s', (op) => expect(isOpName(op)).toBe(true));
  it.each(['msg.teleport', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '', 'MSG.SEND'])('does not know %j', (op) => {
    expect(isOpName(op)).toBe(false);
  });
});

describe('msg.send', () => {
  const s = opPayloads['msg.send'];
  const ok = { to: { direct: 'a_sales' }, client_msg_id: 'c1', body: { text: 'hi' } };
  it('accepts direct and group sends', () => {
    expect(s.safeParse(ok).success).toBe(true);
    expect(s.safeParse({ ...ok, to: { group: 'g1' } }).success).toBe(true);
  });
  it.each([
    [{ to: undefined }, 'to'],
    [{ to: { direct: 'a', group: 'g' } }, 'to'],
    [{ client_msg_id: '#' }, 'client_msg_id'],
    [{ client_msg_id: undefined }, 'client_msg_id'],
    [{ body: {} }, 'body.text'],
    [{ body: { text: 'x'.repeat(8_001) } }, 'body.text'],
  ])('rejects %j at %s', (patch, path) => expect(pathsOf(s.safeParse({ ...ok, ...patch }))).toContain(path));
});

describe('msg.history', () => {
  const s = opPayloads['msg.history'];
  it('defaults limit to 50 and accepts the bounds', () => {
    expect(s.parse({ conversation_id: 'g:g1' }).limit).toBe(50);
    expect(s.safeParse({ conversation_id: 'g:g1', limit: 200, before_seq: 1, after_seq: 0 }).success).toBe(true);
  });
  it.each([
    [{ limit: 201 }, 'limit'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 1.5 }, 'limit'],
    [{ before_seq: 0 }, 'before_seq'],
    [{ after_seq: -1 }, 'after_seq'],
    [{ conversation_id: 'x' }, 'conversation_id'],
  ])('rejects %j at %s', (patch, path) => expect(pathsOf(s.safeParse({ conversation_id: 'g:g1', ...patch }))).toContain(path));
});

describe('directory ops', () => {
  it('conv.list takes an empty object', () => {
    expect(opPayloads['conv.list'].safeParse({}).success).toBe(true);
    expect(opPayloads['conv.list'].safeParse(null).success).toBe(false);
  });
  it('employee.get needs a valid id', () => {
    expect(opPayloads['employee.get'].safeParse({ id: 'u_li' }).success).toBe(true);
    expect(pathsOf(opPayloads['employee.get'].safeParse({ id: '+' }))).toContain('id');
    expect(pathsOf(opPayloads['employee.get'].safeParse({}))).toContain('id');
  });
  it('employee.search defaults q and bounds its fields', () => {
    const s = opPayloads['employee.search'];
    expect(s.parse({})).toEqual({ q: '' });
    expect(s.safeParse({ q: 'li', department: 'd1', skill: 'sql' }).success).toBe(true);
    expect(pathsOf(s.safeParse({ q: 'q'.repeat(129) }))).toContain('q');
    expect(pathsOf(s.safeParse({ department: 'd/1' }))).toContain('department');
    expect(pathsOf(s.safeParse({ skill: 's'.repeat(65) }))).toContain('skill');
  });
});

describe('msg.search', () => {
  const s = opPayloads['msg.search'];
  it('trims the query, defaults the limit, and takes a cursor', () => {
    expect(s.parse({ q: '  退款 ' })).toEqual({ q: '退款', limit: 20 });
    expect(s.parse({ q: 'x', cursor: 'abc', limit: 50 })).toEqual({ q: 'x', cursor: 'abc', limit: 50 });
  });
  it.each([
    [{}, 'q'],
    [{ q: '' }, 'q'],
    [{ q: '   ' }, 'q'],
    [{ q: 'q'.repeat(101) }, 'q'],
    [{ q: 'x', cursor: '' }, 'cursor'],
    [{ q: 'x', cursor: 'c'.repeat(201) }, 'cursor'],
    [{ q: 'x', limit: 0 }, 'limit'],
    [{ q: 'x', limit: 51 }, 'limit'],
  ])('rejects %j at %s', (p, path) => expect(pathsOf(s.safeParse(p))).toContain(path));
});

describe('group ops', () => {
  it('create: the id is optional, members default to none, and nobody else may be named owner', () => {
    expect(opPayloads['group.create'].parse({ name: 'Launch' })).toEqual({ name: 'Launch', members: [] });
    expect(pathsOf(opPayloads['group.create'].safeParse({ name: 'Launch', owner_id: 'u_x' }))).toContain('');
    expect(pathsOf(opPayloads['group.create'].safeParse({ id: 'g/1', name: 'Launch' }))).toContain('id');
    expect(pathsOf(opPayloads['group.create'].safeParse({ name: '' }))).toContain('name');
  });
  it.each(['group.add_members', 'group.remove_members'] as const)('%s needs at least one valid member id', (op) => {
    expect(opPayloads[op].safeParse({ id: 'g1', members: ['u_li'] }).success).toBe(true);
    expect(pathsOf(opPayloads[op].safeParse({ id: 'g1', members: [] }))).toContain('members');
    expect(pathsOf(opPayloads[op].safeParse({ id: 'g1', members: ['u#'] }))).toContain('members.0');
  });
  it.each(['group.get', 'group.leave', 'group.dissolve'] as const)('%s needs a group id without wildcards', (op) => {
    expect(opPayloads[op].safeParse({ id: 'g_sales' }).success).toBe(true);
    expect(pathsOf(opPayloads[op].safeParse({ id: 'g+' }))).toContain('id');
  });
});

describe('op results', () => {
  it('has a result schema for every op, admin ops included', () => {
    expect(Object.keys(opResults).sort()).toEqual(Object.keys(opPayloads).sort());
    expect(Object.keys(adminResults).sort()).toEqual(Object.keys(adminPayloads).sort());
  });

  it('describes the live state as the workflows answer it (schemas/workflow.ts)', () => {
    expectTypeOf<NonNullable<OpResult<'workflow.get'>['workflow']['live']>>().toEqualTypeOf<LiveState>();
  });

  const hop = { hop: 0, agent_id: 'a_sales', status: 'answered', started_at: 1, finished_at: 2, reply_msg_id: 'm2' };
  const run = {
    workflow_id: 'interaction:m1:a_sales', kind: 'interaction', conversation_id: 'd:a_sales:u_li', msg_id: 'm1', started_by: 'u_li',
    status: 'running', step: 'calling a_sales', hops: [hop], started_at: 1, updated_at: 2,
  };

  it.each([
    ['msg.send', { msg_id: '01JD', conversation_id: 'd:u_li:u_zhang', seq: 7, ts: 1_764_000_000_042 }],
    ['msg.readers', { conversation_id: 'g:g_sales', seq: 3, read_count: 2, readers: ['u_li', 'u_wang'] }],
    ['workflow.get', { workflow: { ...run, live: { status: 'running', step: 'calling a_sales', hops: [hop] } } }],
    ['workflow.get', { workflow: run }],
    ['agent.capabilities', { capabilities: [{ skill: 'orders', card: { id: 'orders', name: '订单查询', description: '', examples: [], trigger_keywords: [] }, agents: [] }] }],
    ['org.tree', { departments: [{ id: 'd1', name: 'Sales', parent_id: null, head_id: null, members: [], children: [] }], unassigned: [] }],
  ] as const)('%s: takes %j', (op, result) => expect(opResults[op].safeParse(result).success).toBe(true));

  it.each([
    ['msg.send', { msg_id: '01JD', conversation_id: 'd:u_li:u_zhang', seq: '7', ts: 1 }, 'seq'],
    ['msg.send', { msg_id: '01JD', conversation_id: 'd:u_li:u_zhang', seq: 7 }, 'ts'],
    ['workflow.get', { workflow: { ...run, live: { step: 'x', hops: [] } } }, 'workflow.live.status'],
    ['group.get', { group: { id: 'g1', name: 'G', owner_id: 'u_li', members: [] } }, 'group.members'],
    ['task.decide', { tasks: [] }, 'task'],
  ] as const)('%s: refuses %j at %s', (op, result, path) => expect(pathsOf(opResults[op].safeParse(result))).toContain(path));
});
