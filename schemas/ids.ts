import { z } from 'zod';

/** Ids that appear in topics: no MQTT wildcards, no separators, no path tricks. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const Id = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9_.:-]{1,64}$');
export type Id = z.infer<typeof Id>;

/** `.` and `..` match the pattern but would read as path segments to any tool that joins them. */
export function isTopicId(value: string): boolean {
  return ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

/**
 * Names of things: no `:`, which separates the parts of client ids (`{employee}:{device}`) and
 * conversation ids (`d:{a}:{b}`, `g:{group}`).
 */
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const nameId = (what: string) => Id.refine((v) => NAME_PATTERN.test(v) && isTopicId(v), `not a valid ${what} id: letters, digits, _ . - only`);

export const EmployeeId = nameId('employee');
export const GroupId = nameId('group');
export const DepartmentId = nameId('department');

/** MQTT client id: `{employee_id}:{device}`. The device part may not contain `:` itself. */
export const ClientId = Id.refine((v) => /^[^:]+:[^:]+$/.test(v), 'must be {employee_id}:{device}');
export type ClientId = z.infer<typeof ClientId>;

export function employeeOfClient(clientId: string): string | undefined {
  const m = /^([^:]+):[^:]+$/.exec(clientId);
  return m?.[1];
}

/** Timestamps on the wire are epoch milliseconds. */
export const EpochMs = z.number().int().nonnegative();
