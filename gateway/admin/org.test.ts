import { describe, expect, it } from 'vitest';
import { buildOrgTree, wouldCycle } from './org.js';

describe('wouldCycle', () => {
  // ceo ← vp ← lead ← dev
  const chain = new Map<string, string | null>([['ceo', null], ['vp', 'ceo'], ['lead', 'vp'], ['dev', 'lead']]);

  it('allows a parent outside the subtree', () => {
    expect(wouldCycle(chain, 'dev', 'ceo')).toBe(false);
    expect(wouldCycle(chain, 'lead', null)).toBe(false);
    expect(wouldCycle(chain, 'newcomer', 'dev')).toBe(false);
  });

  it('refuses itself or anything below it as the parent', () => {
    expect(wouldCycle(chain, 'vp', 'vp')).toBe(true);
    expect(wouldCycle(chain, 'vp', 'dev')).toBe(true);
    expect(wouldCycle(chain, 'ceo', 'lead')).toBe(true);
  });

  it('terminates on data that already loops', () => {
    const broken = new Map<string, string | null>([['a', 'b'], ['b', 'a']]);
    expect(wouldCycle(broken, 'c', 'a')).toBe(true);
  });
});

describe('buildOrgTree', () => {
  const departments = [
    { id: 'root', name: 'Company', parent_id: null, head_id: 'u1' },
    { id: 'b', name: 'Sales', parent_id: 'root', head_id: null },
    { id: 'a', name: 'Finance', parent_id: 'root', head_id: null },
    { id: 'orphan', name: 'Lab', parent_id: 'gone', head_id: null },
  ];
  const employees = [
    { id: 'u2', name: 'Zhou', title: '', is_ai_agent: false, department_id: 'b', manager_id: 'u1' },
    { id: 'a1', name: 'Bot', title: 'AI', is_ai_agent: true, department_id: 'b', manager_id: 'u2' },
    { id: 'u3', name: 'Free', title: '', is_ai_agent: false, department_id: null, manager_id: null },
    { id: 'u4', name: 'Lost', title: '', is_ai_agent: false, department_id: 'nowhere', manager_id: null },
  ];

  it('nests departments under their parents, sorted by name, with their members', () => {
    const tree = buildOrgTree(departments, employees);
    expect(tree.departments.map((d) => d.id)).toEqual(['root', 'orphan']);
    const root = tree.departments[0]!;
    expect(root.children.map((d) => d.id)).toEqual(['a', 'b']);
    expect(root.children[1]!.members.map((m) => m.id)).toEqual(['a1', 'u2']);
    expect(root.children[1]!.members[0]).toEqual({ id: 'a1', name: 'Bot', title: 'AI', is_ai_agent: true, manager_id: 'u2' });
  });

  it('lists people without a (known) department apart', () => {
    expect(buildOrgTree(departments, employees).unassigned.map((m) => m.id)).toEqual(['u3', 'u4']);
  });
});
