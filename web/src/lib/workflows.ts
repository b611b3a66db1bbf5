import type { Event } from '../../../schemas/index.js';

export type WorkflowEvent = Extract<Event, { type: 'workflow' }>;
export type WorkflowRun = Omit<WorkflowEvent, 'v' | 'type'> & { updated_at: number };

/** The runs after `event`: one row per workflow, most recently changed first. */
export function upsertWorkflow(runs: readonly WorkflowRun[], event: WorkflowEvent, now: number): WorkflowRun[] {
  const { workflow_id, conversation_id, status, step } = event;
  const run = { workflow_id, conversation_id, status, step, updated_at: now };
  return [run, ...runs.filter((r) => r.workflow_id !== workflow_id)];
}
