import { describe, expect, it } from 'vitest';
import { ClientId, DepartmentId, EmployeeId, employeeOfClient, EpochMs, GroupId, Id, ID_PATTERN, isTopicId } from './ids.js';

const max = 'a'.repeat(64);
const bad = ['', 'a+b', 'a#b', '+', '#', 'a/b', '/', 'a b', 'é', '订单', 'a\u0000b', 'a'.repeat(65), 'a\nb', 'a@b'];

describe('Id', () => {
  it.each(['a', 'u_li', 'A-Z.0:9', max, '.', '..'])('accepts %j', (v) => {
    expect(Id.safeParse(v).success).toBe(true);
  });
  it.each(bad)('rejects %j', (v) => {
    expect(Id.safeParse(v).success).toBe(false);
    expect(ID_PATTERN.test(v)).toBe(false);
  });
  it.each([1, null, undefined, {}, ['a']])('rejects non-string %j', (v) => {
    expect(Id.safeParse(v).success).toBe(false);
  });
});

describe('isTopicId and the employee/group/department ids', () => {
  it.each([EmployeeId, GroupId, DepartmentId])('accepts a normal id and refuses . and ..', (schema) => {
    expect(schema.safeParse('u_li').success).toBe(true);
    expect(schema.safeParse(max).success).toBe(true);
    expect(schema.safeParse('.').success).toBe(false);
    expect(schema.safeParse('..').success).toBe(false);
    expect(schema.safeParse('...').success).toBe(true);
  });
  it.each(bad)('refuses %j', (v) => {
    expect(isTopicId(v)).toBe(false);
    expect(EmployeeId.safeParse(v).success).toBe(false);
    expect(GroupId.safeParse(v).success).toBe(false);
    expect(DepartmentId.safeParse(v).success).toBe(false);
  });
});

describe('ClientId', () => {
  it.each(['u_li:web-3f2a', 'a:b'])('accepts %j', (v) => expect(ClientId.safeParse(v).success).toBe(true));
  it.each(['u_li', 'u_li:', ':web', 'a:b:c', 'u li:web', 'u_li:web/x', `${'a'.repeat(32)}:${'b'.repeat(32)}`])(
    'rejects %j',
    (v) => expect(ClientId.safeParse(v).success).toBe(false),
  );
  it('employeeOfClient takes the part before the colon', () => {
    expect(employeeOfClient('u_li:web-3f2a')).toBe('u_li');
    expect(employeeOfClient('u_li')).toBeUndefined();
    expect(employeeOfClient('a:b:c')).toBeUndefined();
    expect(employeeOfClient(':web')).toBeUndefined();
  });
});

describe('EpochMs', () => {
  it('accepts non-negative integers', () => {
    expect(EpochMs.safeParse(0).success).toBe(true);
    expect(EpochMs.safeParse(1_764_000_000_000).success).toBe(true);
  });
  it.each([-1, 1.5, '1764000000000', NaN, Infinity, null])('rejects %j', (v) => {
    expect(EpochMs.safeParse(v).success).toBe(false);
  });
});
