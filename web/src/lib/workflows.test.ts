import { describe, expect, it } from 'vitest';
import { task, workflowRun } from './fixtures.js';
import { applyWorkflowDoc, applyWorkflowEvent, applyWorkflowList, pendingApproval, type RunView, type WorkflowEvent } from './workflows.js';

const event = (workflow_id: string, status: WorkflowEvent['status'], step: string): WorkflowEvent => ({
  v: 1,
  type: 'workflow',
  workflow_id,
  conversation_id: 'g:ops',
  status,
  step,
});

const ids = (runs: RunView[]) => runs.map((r) => r.workflow_id);

describe('applyWorkflowEvent', () => {
  it('keeps one row per workflow, latest state, most recently changed first', () => {
    let runs = applyWorkflowEvent([], event('wf-1', 'running', 'ask sales'), 1);
    runs = applyWorkflowEvent(runs, event('wf-2', 'running', 'ask finance'), 2);
    runs = applyWorkflowEvent(runs, event('wf-1', 'waiting', 'approval by u_boss'), 3);
    expect(runs).toEqual([
      { workflow_id: 'wf-1', conversation_id: 'g:ops', status: 'waiting', step: 'approval by u_boss', hops: [], synced_at: 0, updated_at: 3 },
      { workflow_id: 'wf-2', conversation_id: 'g:ops', status: 'running', step: 'ask finance', hops: [], synced_at: 0, updated_at: 2 },
    ]);
  });

  it('keeps what the document said (hops, kind) until the next document', () => {
    const runs = applyWorkflowDoc([], workflowRun('wf-1'));
    const [run] = applyWorkflowEvent(runs, event('wf-1', 'completed', 'done'), 5);
    expect(run).toMatchObject({ status: 'completed', step: 'done', kind: 'interaction', hops: [{ agent_id: 'a_sales' }] });
  });
});

describe('applyWorkflowDoc', () => {
  it('replaces the run in place and remembers how fresh it is', () => {
    const runs = applyWorkflowList([], [workflowRun('wf-2', { updated_at: 20 }), workflowRun('wf-1', { updated_at: 10 })]);
    const next = applyWorkflowDoc(runs, workflowRun('wf-1', { status: 'completed', step: 'done', updated_at: 30 }));
    expect(ids(next)).toEqual(['wf-2', 'wf-1']);
    expect(next[1]).toMatchObject({ status: 'completed', synced_at: 30 });
  });

  it('drops a document older than the one applied last (answers overtaking each other)', () => {
    const fresh = applyWorkflowDoc([], workflowRun('wf-1', { status: 'completed', step: 'done', updated_at: 30 }));
    const next = applyWorkflowDoc(fresh, workflowRun('wf-1', { status: 'running', updated_at: 20 }));
    expect(next[0]).toMatchObject({ status: 'completed', synced_at: 30 });
  });

  it('takes any document over a run known only from events, and adds an unknown run on top', () => {
    const runs = applyWorkflowEvent([], event('wf-1', 'running', 'calling a_sales'), Date.now());
    const next = applyWorkflowDoc(runs, workflowRun('wf-1', { updated_at: 1 }));
    expect(next[0]).toMatchObject({ kind: 'interaction', synced_at: 1 });
    expect(ids(applyWorkflowDoc(next, workflowRun('wf-9')))).toEqual(['wf-9', 'wf-1']);
  });
});

describe('applyWorkflowList', () => {
  it('keeps the gateway’s order, after runs seen in events that the page does not hold', () => {
    const live = applyWorkflowEvent([], event('wf-new', 'running', 'calling a_sales'), 1);
    const runs = applyWorkflowList(live, [workflowRun('wf-2'), workflowRun('wf-1')]);
    expect(ids(runs)).toEqual(['wf-new', 'wf-2', 'wf-1']);
  });

  it('does not let a listed document undo a fresher one', () => {
    const fresh = applyWorkflowDoc([], workflowRun('wf-1', { status: 'completed', updated_at: 30 }));
    const runs = applyWorkflowList(fresh, [workflowRun('wf-1', { status: 'running', updated_at: 20 })]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'completed' });
  });
});

describe('pendingApproval', () => {
  const waitingDoc = workflowRun('wf-1', { status: 'waiting', step: 'waiting for approval by u_wang', pending_task_id: 't-1' });
  const listed = applyWorkflowList([], [waitingDoc])[0]!;

  it('names the approver from the live state of a running workflow', () => {
    const live = { status: waitingDoc.status, step: waitingDoc.step, hops: waitingDoc.hops, pending_task: task('t-1') };
    const [run] = applyWorkflowDoc([], { ...waitingDoc, live });
    expect(pendingApproval(run!, {})).toEqual({ task_id: 't-1', approver_id: 'u_wang' });
    expect(run).not.toHaveProperty('live');
  });

  it('names the approver from a task this tab knows, else still says one is pending', () => {
    expect(pendingApproval(listed, { 't-1': task('t-1') })).toEqual({ task_id: 't-1', approver_id: 'u_wang' });
    expect(pendingApproval(listed, {})).toEqual({ task_id: 't-1' });
  });

  it('ignores the task id the mirror keeps after the decision', () => {
    const running = workflowRun('wf-1', { status: 'running', step: 'approved by u_wang', pending_task_id: 't-1' });
    const live = { status: running.status, step: running.step, hops: running.hops };
    expect(pendingApproval(applyWorkflowDoc([], { ...running, live })[0]!, {})).toBeUndefined();
    expect(pendingApproval(applyWorkflowList([], [running])[0]!, {})).toBeUndefined();
    expect(pendingApproval(listed, { 't-1': task('t-1', { state: 'approved' }) })).toBeUndefined();
  });

  it('is nothing once the workflow has ended', () => {
    expect(pendingApproval({ ...listed, status: 'completed' }, {})).toBeUndefined();
  });
});
