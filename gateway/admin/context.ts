import type { AdminOpName, AdminResult, ErrorCode, Schedule } from '../../schemas/index.js';
import type { Models } from '../../store/db.js';
import type { Serializer } from '../../store/locks.js';
import type { OrgAnnouncer } from './effects.js';

/** What admin ops are given: a narrower context than members' ops, so admin/ needs nothing above it. */
export interface AdminContext {
  m: Models;
  announce: OrgAnnouncer;
  /** Production refuses agents whose webhook is not HTTPS or does not answer. */
  production: boolean;
  maxGroupSize: number;
  /** Called after an op changed an agent, so routing sees it at once (see gateway/agents/directory.ts). */
  onAgentsChanged?: () => Promise<void>;
  /** Temporal Schedules of proactive agents; absent, the schedule ops answer E_UNAVAILABLE. */
  schedules?: ScheduleControl;
  /** Turns for changes of one document or of the organisation's shape (see `changes`). */
  writes: Serializer;
}

/** What an admin op did, for its caller (its result schema, schemas/admin.ts) and for the audit log. */
export interface Outcome<O extends AdminOpName = AdminOpName> {
  result: AdminResult<O>;
  target: string | null;
  before?: unknown;
  after?: unknown;
  /** The op answered (with a report) but did not do what was asked: audited as refused. */
  refusal?: { code: ErrorCode; message: string };
}

/** Where schedules live (Temporal Schedules in production, see gateway/agents/temporal.ts). */
export interface ScheduleControl {
  create(schedule: Schedule): Promise<Schedule>;
  pause(scheduleId: string, paused: boolean, by: string): Promise<Schedule>;
  list(): Promise<Schedule[]>;
}
