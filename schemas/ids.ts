import { z } from 'zod';

/** Ids that appear in topics: no MQTT wildcards, no separators, no path tricks. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const Id = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9_.:-]{1,64}$');
export type Id = z.infer<typeof Id>;

/** `.` and `..` match the pattern but would read as path segments to any tool that joins them. */
export function isTopicId(value: string): boolean {
  return ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

export const EmployeeId = Id.refine(isTopicId, 'not a valid employee id');
export const GroupId = Id.refine(isTopicId, 'not a valid group id');
export const DepartmentId = Id.refine(isTopicId, 'not a valid department id');

/** MQTT client id: `{employee_id}:{device}`. The device part may not contain `:` itself. */
export const ClientId = Id.refine((v) => /^[^:]+:[^:]+$/.test(v), 'must be {employee_id}:{device}');
export type ClientId = z.infer<typeof ClientId>;

export function employeeOfClient(clientId: string): string | undefined {
  const m = /^([^:]+):[^:]+$/.exec(clientId);
  return m?.[1];
}

/** Timestamps on the wire are epoch milliseconds. */
export const EpochMs = z.number().int().nonnegative();
