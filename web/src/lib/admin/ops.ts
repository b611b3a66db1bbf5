import type { AdminOpName } from '$schemas';
import * as m from '$lib/paraglide/messages';

/** What each admin op does, said to a reader of the audit log; every new admin op needs one here. */
const ADMIN_OP_LABELS: Record<AdminOpName, () => string> = {
  'admin.employee.create': m.op_employee_create,
  'admin.agent.create': m.op_agent_create,
  'admin.agent.update': m.op_agent_update,
  'admin.employee.disable': m.op_employee_disable,
  'admin.employee.enable': m.op_employee_enable,
  'admin.employee.update': m.op_employee_update,
  'admin.employee.reset_password': m.op_employee_reset_password,
  'admin.agent.rotate_secret': m.op_agent_rotate_secret,
  'admin.employee.list': m.op_employee_list,
  'admin.employee.move': m.op_employee_move,
  'admin.employee.set_manager': m.op_employee_set_manager,
  'admin.department.create': m.op_department_create,
  'admin.department.move': m.op_department_move,
  'admin.department.rename': m.op_department_rename,
  'admin.department.set_head': m.op_department_set_head,
  'admin.org.export': m.op_org_export,
  'admin.cockpit': m.op_cockpit,
  'admin.group.create': m.op_group_create,
  'admin.group.dissolve': m.op_group_dissolve,
  'admin.group.add_members': m.op_group_add_members,
  'admin.group.remove_members': m.op_group_remove_members,
  'admin.audit.query': m.op_audit_query,
  'admin.audit.export': m.op_audit_export,
  'admin.import': m.op_import,
  'admin.relay.save': m.op_relay_save,
  'admin.relay.list': m.op_relay_list,
  'admin.schedule.create': m.op_schedule_create,
  'admin.schedule.pause': m.op_schedule_pause,
  'admin.schedule.list': m.op_schedule_list,
};

/** Written to the log by the workflows rather than by an admin op. */
const OTHER_LABELS: Record<string, () => string> = { 'task.decide': m.op_task_decide };

/** The ops the log's filter offers, as they are written in it. */
export const AUDITED_OPS: readonly string[] = [...Object.keys(ADMIN_OP_LABELS), ...Object.keys(OTHER_LABELS)].sort();

export function opLabel(op: string): string {
  return (ADMIN_OP_LABELS[op as AdminOpName] ?? OTHER_LABELS[op])?.() ?? op;
}
