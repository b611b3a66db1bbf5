import { describe, expect, it } from 'vitest';
import { upsertWorkflow, type WorkflowEvent } from './workflows.js';

const event = (workflow_id: string, status: WorkflowEvent['status'], step: string): WorkflowEvent => ({
  v: 1,
  type: 'workflow',
  workflow_id,
  conversation_id: 'g:ops',
  status,
  step,
});

describe('upsertWorkflow', () => {
  it('keeps one row per workflow, latest state, most recently changed first', () => {
    let runs = upsertWorkflow([], event('wf-1', 'running', 'ask sales'), 1);
    runs = upsertWorkflow(runs, event('wf-2', 'running', 'ask finance'), 2);
    runs = upsertWorkflow(runs, event('wf-1', 'waiting', 'approval by u_boss'), 3);
    expect(runs).toEqual([
      { workflow_id: 'wf-1', conversation_id: 'g:ops', status: 'waiting', step: 'approval by u_boss', updated_at: 3 },
      { workflow_id: 'wf-2', conversation_id: 'g:ops', status: 'running', step: 'ask finance', updated_at: 2 },
    ]);
  });
});
