import type { OrgTreeState } from '../../../schemas/index.js';

export type Department = OrgTreeState['departments'][number];
export type OrgMember = Department['members'][number];

/** Every department of the forest, parents before their children, with its depth. */
export function flatten(departments: readonly Department[], depth = 0): { department: Department; depth: number }[] {
  return departments.flatMap((d) => [{ department: d, depth }, ...flatten(d.children, depth + 1)]);
}

/** The ids of `id` and every department inside it: where it cannot be moved to. */
export function inside(departments: readonly Department[], id: string): Set<string> {
  const found = flatten(departments).find((x) => x.department.id === id)?.department;
  return new Set(found ? flatten([found]).map((x) => x.department.id) : []);
}

