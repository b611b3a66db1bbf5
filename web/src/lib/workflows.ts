import type { Event, OpResult, Task, WorkflowRun } from '../../../schemas/index.js';

export type WorkflowEvent = Extract<Event, { type: 'workflow' }>;

/** What `workflow.get` answers: the mirror, and while the workflow runs, its own live state. */
export type WorkflowDoc = OpResult<'workflow.get'>['workflow'];

/** The approval a run waits for; the approver when the gateway or a task event told us. */
export interface PendingApproval {
  task_id: string;
  approver_id?: string;
}

/**
 * A workflow as the panel shows it. A run first seen in an event is known only by its status and
 * step until its document (hops, pending task, error) arrives, hence the optional fields.
 */
export type RunView = Omit<WorkflowRun, 'kind' | 'started_at'> &
  Partial<Pick<WorkflowRun, 'kind' | 'started_at'>> & {
    /** `updated_at` of the last document applied; 0 while known only from events. */
    synced_at: number;
    approval?: PendingApproval;
  };

/**
 * The runs after `event`: its status and step at once, the rest kept until the document is
 * fetched again; the run moves to the top, most recently changed first.
 */
export function applyWorkflowEvent(runs: readonly RunView[], event: WorkflowEvent, now: number): RunView[] {
  const { workflow_id, conversation_id, status, step } = event;
  const known = runs.find((r) => r.workflow_id === workflow_id);
  const run: RunView = { hops: [], synced_at: 0, ...known, workflow_id, conversation_id, status, step, updated_at: now };
  return [run, ...runs.filter((r) => r.workflow_id !== workflow_id)];
}

/**
 * The runs after a document arrived, in place (or on top, if new). A document older than the one
 * applied last is dropped: answers to `workflow.get` may overtake each other.
 */
export function applyWorkflowDoc(runs: readonly RunView[], doc: WorkflowDoc): RunView[] {
  const known = runs.find((r) => r.workflow_id === doc.workflow_id);
  if (known && known.synced_at > doc.updated_at) return [...runs];
  const { live, ...mirror } = doc;
  const approval = approvalOf(mirror, live);
  const run: RunView = { ...mirror, synced_at: doc.updated_at, ...(approval ? { approval } : {}) };
  return known ? runs.map((r) => (r === known ? run : r)) : [run, ...runs];
}

/**
 * A freshly listed page of runs: the listed documents in the gateway's order, then runs known
 * from events that the page does not include (started after the list was read).
 */
export function applyWorkflowList(runs: readonly RunView[], docs: readonly WorkflowDoc[]): RunView[] {
  const listed = docs.reduce<RunView[]>((acc, doc) => {
    const known = runs.find((r) => r.workflow_id === doc.workflow_id);
    return [...acc, ...applyWorkflowDoc(known ? [known] : [], doc)];
  }, []);
  const ids = new Set(listed.map((r) => r.workflow_id));
  return [...runs.filter((r) => !ids.has(r.workflow_id)), ...listed];
}

/**
 * The mirror keeps the id of the last task even after it was decided, so the live state decides
 * when there is one; a listed run (no live state) waits for its task only while it is `waiting`.
 */
function approvalOf(mirror: WorkflowRun, live: WorkflowDoc['live']): PendingApproval | undefined {
  if (live) return live.pending_task ? { task_id: live.pending_task.task_id, approver_id: live.pending_task.approver_id } : undefined;
  return mirror.status === 'waiting' && mirror.pending_task_id ? { task_id: mirror.pending_task_id } : undefined;
}

/** The approval the run waits for now, if any, with what this tab knows of the task. */
export function pendingApproval(run: RunView, tasks: Readonly<Record<string, Task>>): PendingApproval | undefined {
  if (!run.approval || run.status === 'completed' || run.status === 'failed') return undefined;
  const task = tasks[run.approval.task_id];
  if (!task) return run.approval;
  return task.state === 'pending' ? { task_id: task.task_id, approver_id: task.approver_id } : undefined;
}
