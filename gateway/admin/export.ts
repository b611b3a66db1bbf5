import type { AdminPayload, Department, Employee, Group } from '../../schemas/index.js';
import type { AdminContext, Outcome } from './context.js';

function csvCell(value: string): string {
  return /[",\n\r;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The organisation as a file `admin.import` takes back (a re-import of it changes nothing): JSON
 * with departments, active people, active agents and groups; or CSV with the active people, in the
 * import's columns. No passwords or API secrets; department heads are not in the import format.
 */
export async function exportOrganisation(ctx: AdminContext, p: AdminPayload<'admin.org.export'>): Promise<Outcome<'admin.org.export'>> {
  const [departments, employees, groups] = await Promise.all([
    ctx.m.Department.find({}, { _id: 0 }).lean<Department[]>(),
    ctx.m.Employee.find({ status: 'active' }, { _id: 0 }).lean<Employee[]>(),
    ctx.m.Group.find({ dissolved: false }, { _id: 0 }).lean<Group[]>(),
  ]);
  const byId = <T extends { id: string }>(a: T, b: T) => a.id.localeCompare(b.id);
  const people = employees.filter((e) => !e.is_ai_agent).sort(byId);
  const person = (e: Employee) => ({
    id: e.id, name: e.name, title: e.title ?? '', department_id: e.department_id ?? null, manager_id: e.manager_id ?? null,
    skills_badge: e.skills_badge ?? [], role: e.role ?? 'member',
  });
  let data: string;
  let count: number;
  if (p.format === 'csv') {
    const names = new Map(departments.map((d) => [d.id, d.name]));
    const rows = people.map((e) => {
      const r = person(e);
      return [r.id, r.name, r.title, r.department_id ?? '', r.department_id ? (names.get(r.department_id) ?? '') : '', r.manager_id ?? '', r.skills_badge.join(';'), r.role];
    });
    data = [['id', 'name', 'title', 'department_id', 'department_name', 'manager_id', 'skills', 'role'], ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n');
    count = people.length;
  } else {
    const agents = employees.filter((e) => e.is_ai_agent && e.agent_profile).sort(byId).map((e) => ({
      id: e.id, name: e.name, title: e.title ?? '', department_id: e.department_id ?? null, manager_id: e.manager_id ?? null,
      skills_badge: e.skills_badge ?? [], agent_profile: e.agent_profile,
    }));
    const file = {
      departments: departments.sort(byId).map((d) => ({ id: d.id, name: d.name, parent_id: d.parent_id ?? null })),
      employees: people.map(person),
      agents,
      groups: groups.sort(byId).map((g) => ({ id: g.id, name: g.name, owner_id: g.owner_id, members: g.members })),
    };
    data = JSON.stringify(file, null, 2);
    count = file.departments.length + file.employees.length + file.agents.length + file.groups.length;
  }
  return { result: { format: p.format, count, data }, target: null, after: { format: p.format, count } };
}
