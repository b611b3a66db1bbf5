import type { Models } from '../../store/db.js';

/**
 * Would making `parent` the parent (or manager) of `id` close a loop? Walks up from `parent`;
 * `parentOf` maps each node to its current parent. A chain longer than the map is a loop already.
 */
export function wouldCycle(parentOf: ReadonlyMap<string, string | null>, id: string, parent: string | null): boolean {
  let node = parent;
  for (let steps = 0; node !== null; steps++) {
    if (node === id || steps > parentOf.size) return true;
    node = parentOf.get(node) ?? null;
  }
  return false;
}

export interface TreeDepartment {
  id: string;
  name: string;
  parent_id: string | null;
  head_id: string | null;
  members: { id: string; name: string; title: string; is_ai_agent: boolean; manager_id: string | null }[];
  children: TreeDepartment[];
}

/** Departments as a forest, each with its active members; people in no department come last. */
export function buildOrgTree(
  departments: readonly { id: string; name: string; parent_id: string | null; head_id: string | null }[],
  employees: readonly { id: string; name: string; title: string; is_ai_agent: boolean; department_id: string | null; manager_id: string | null }[],
): { departments: TreeDepartment[]; unassigned: TreeDepartment['members'] } {
  const nodes = new Map<string, TreeDepartment>(departments.map((d) => [d.id, { ...d, members: [], children: [] }]));
  const unassigned: TreeDepartment['members'] = [];
  for (const e of employees) {
    const member = { id: e.id, name: e.name, title: e.title, is_ai_agent: e.is_ai_agent, manager_id: e.manager_id };
    const node = e.department_id ? nodes.get(e.department_id) : undefined;
    (node ? node.members : unassigned).push(member);
  }
  const roots: TreeDepartment[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent_id ? nodes.get(node.parent_id) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  for (const node of nodes.values()) {
    node.children.sort(byName);
    node.members.sort(byName);
  }
  return { departments: roots.sort(byName), unassigned: unassigned.sort(byName) };
}

/** Departments as a tree with their active members: what `mchat/org/tree` carries, retained. */
export async function loadOrgTree(m: Models) {
  const [departments, employees] = await Promise.all([
    m.Department.find({}, { _id: 0 }).lean(),
    m.Employee.find({ status: 'active' }, { _id: 0, id: 1, name: 1, title: 1, is_ai_agent: 1, department_id: 1, manager_id: 1 }).lean(),
  ]);
  return buildOrgTree(
    departments.map((d) => ({ id: d.id, name: d.name, parent_id: d.parent_id, head_id: d.head_id ?? null })),
    employees.map((e) => ({
      id: e.id, name: e.name, title: e.title ?? '', is_ai_agent: e.is_ai_agent ?? false, department_id: e.department_id ?? null, manager_id: e.manager_id ?? null,
    })),
  );
}
