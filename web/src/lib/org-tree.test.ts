import { describe, expect, it } from 'vitest';
import { flatten, inside, type Department } from './org-tree';

const node = (id: string, children: Department[] = []): Department => ({ id, name: id.toUpperCase(), parent_id: null, head_id: null, members: [], children });
const forest = [node('hq', [node('sales', [node('emea')]), node('finance')]), node('lab')];

describe('the org chart helpers', () => {
  it('lists departments parents first, with their depth', () => {
    expect(flatten(forest).map(({ department, depth }) => `${depth}:${department.id}`)).toEqual(['0:hq', '1:sales', '2:emea', '1:finance', '0:lab']);
  });

  it('names a department and all inside it, where it may not move', () => {
    expect([...inside(forest, 'sales')]).toEqual(['sales', 'emea']);
    expect([...inside(forest, 'nowhere')]).toEqual([]);
  });
});
